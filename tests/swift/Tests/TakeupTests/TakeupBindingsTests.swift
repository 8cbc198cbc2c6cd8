// XCTest tests of the generated Swift bindings (module Takeup) against the host-built
// libtakeup_ffi. The same checks as tests/kotlin/TakeupBindingsTest.kt. See tests/swift/README.md.
import Foundation
import Takeup
import XCTest

/// Records every status it receives (called from whichever thread publishes).
final class RecordingListener: StatusListener, @unchecked Sendable {
    private let lock = NSLock()
    private var statuses: [String] = []
    /// Runs after recording, e.g. to cancel the subscription from inside the callback.
    var onReceive: (@Sendable () -> Void)?

    func onStatus(status: String) {
        lock.lock()
        statuses.append(status)
        lock.unlock()
        onReceive?()
    }

    var received: [String] {
        lock.lock()
        defer { lock.unlock() }
        return statuses
    }
}

final class TakeupBindingsTests: XCTestCase {
    func testVersionIsTheCrateVersion() throws {
        let expected = try XCTUnwrap(
            ProcessInfo.processInfo.environment["TAKEUP_EXPECTED_VERSION"],
            "run with TAKEUP_EXPECTED_VERSION=<takeup-ffi crate version>")
        XCTAssertEqual(takeupVersion(), expected)
        // The library accepts its own version as a client version.
        XCTAssertNoThrow(try validateClientVersion(version: takeupVersion()))
    }

    func testPingAfterSuspendsForTheDelay() async {
        let start = Date()
        let reply = await pingAfter(ms: 150)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(reply, "pong after 150 ms")
        XCTAssertGreaterThanOrEqual(elapsed, 0.150)
    }

    func testPingAfterCallsRunConcurrently() async {
        // 8 x 400 ms in sequence would take 3.2 s; on tokio they overlap.
        let start = Date()
        let replies = await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { await pingAfter(ms: 400) } }
            var all: [String] = []
            for await reply in group { all.append(reply) }
            return all
        }
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(replies, Array(repeating: "pong after 400 ms", count: 8))
        XCTAssertLessThan(elapsed, 2.0, "8 concurrent calls took \(elapsed) s")
    }

    func testWellFormedClientVersionsAreAccepted() {
        XCTAssertNoThrow(try validateClientVersion(version: "0.1.0"))
        XCTAssertNoThrow(try validateClientVersion(version: " 2.3.4-beta.1+build.7 "))
    }

    func testMalformedClientVersionThrowsInvalidVersion() {
        XCTAssertThrowsError(try validateClientVersion(version: "1.2")) { error in
            guard case let FfiError.InvalidVersion(version, reason) = error else {
                return XCTFail("expected FfiError.InvalidVersion, got \(error)")
            }
            XCTAssertEqual(version, "1.2")
            XCTAssertFalse(reason.isEmpty, "reason should explain the error")
        }
    }

    func testOldClientVersionThrowsUnsupportedVersion() {
        do {
            try validateClientVersion(version: "0.0.9")
            XCTFail("expected an FfiError")
        } catch let FfiError.UnsupportedVersion(version, minimum) {
            XCTAssertEqual(version, "0.0.9")
            XCTAssertEqual(minimum, "0.1.0")
        } catch {
            XCTFail("expected FfiError.UnsupportedVersion, got \(error)")
        }
    }

    func testListenerReceivesUntilCancelled() {
        let notifier = Notifier()
        let listener = RecordingListener()
        let subscription = notifier.subscribe(listener: listener)
        XCTAssertTrue(subscription.isActive())
        XCTAssertEqual(notifier.listenerCount(), 1)

        XCTAssertEqual(notifier.publish(status: "uploading"), 1)
        XCTAssertEqual(notifier.publish(status: "done"), 1)
        XCTAssertEqual(listener.received, ["uploading", "done"])

        subscription.cancel()
        subscription.cancel()  // idempotent
        XCTAssertFalse(subscription.isActive())
        XCTAssertEqual(notifier.listenerCount(), 0)
        XCTAssertEqual(notifier.publish(status: "after cancel"), 0)
        XCTAssertEqual(listener.received, ["uploading", "done"])
    }

    func testReleasingTheSubscriptionUnsubscribes() {
        let notifier = Notifier()
        let kept = RecordingListener()
        let released = RecordingListener()
        let keptSubscription = notifier.subscribe(listener: kept)
        do {
            let subscription = notifier.subscribe(listener: released)
            XCTAssertEqual(notifier.publish(status: "both"), 2)
            withExtendedLifetime(subscription) {}
        }
        // The last Swift reference is gone: the Rust object's Drop cancelled the subscription.
        XCTAssertEqual(notifier.listenerCount(), 1)
        XCTAssertEqual(notifier.publish(status: "one"), 1)
        XCTAssertEqual(kept.received, ["both", "one"])
        XCTAssertEqual(released.received, ["both"])
        withExtendedLifetime(keptSubscription) {}
    }

    func testListenerMayCancelItsOwnSubscriptionWhileCalled() {
        let notifier = Notifier()
        let listener = RecordingListener()
        let subscription = notifier.subscribe(listener: listener)
        listener.onReceive = { subscription.cancel() }
        XCTAssertEqual(notifier.publish(status: "first"), 1)
        XCTAssertEqual(notifier.publish(status: "second"), 0)
        XCTAssertEqual(listener.received, ["first"])
    }
}
