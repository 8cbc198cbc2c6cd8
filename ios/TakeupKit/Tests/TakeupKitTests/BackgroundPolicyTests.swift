import Foundation
import Takeup
import XCTest

@testable import TakeupKit

func totals(queued: UInt64 = 0, active: UInt64 = 0, held: UInt64 = 0, done: UInt64 = 0,
            failed: UInt64 = 0, bytesRemaining: UInt64 = 0) -> Totals {
    Totals(filesRemaining: queued + active + held, bytesRemaining: bytesRemaining, queued: queued,
           active: active, held: held, done: done, failed: failed, skipped: 0, cancelled: 0)
}

func queueStatus(hold: Hold? = nil, mode: QueueMode = .auto, totals t: Totals = totals(),
                 rateBps: Double = 0) -> QueueStatus {
    QueueStatus(mode: mode, hold: hold, totals: t, rateBps: rateBps, uploading: [], queued: [],
                held: [], completed: [], failed: [], cancelled: [])
}

func result(uploaded: UInt64 = 0, remaining: UInt64 = 0, timedOut: Bool = false, hold: Hold? = nil)
    -> BackgroundResult
{
    BackgroundResult(uploaded: uploaded, remaining: remaining, moreWork: remaining > 0,
                     timedOut: timedOut, hold: hold)
}

/// An engine double: the user's pause and the OS suspension are separate holds (as in the
/// engine); `runBackgroundWork` waits until released, paused or suspended (as the engine's run
/// returns once such a hold appears).
final class FakeEngine: BackgroundWorkEngine, @unchecked Sendable {
    private let lock = NSLock()
    private var paused = false
    private var suspended = false
    private var released = false
    private(set) var calls: [String] = []
    var nextResult = result(uploaded: 1)
    var userHold: Hold?

    private func record(_ call: String) {
        lock.lock()
        calls.append(call)
        lock.unlock()
    }

    func runBackgroundWork(maxSeconds: UInt32) async -> BackgroundResult {
        record("run(\(maxSeconds))")
        while true {
            let (p, s, r) = flags()
            if p { return result(uploaded: 0, remaining: 3, hold: .pausedByUser) }
            if s { return result(uploaded: 0, remaining: 3, hold: .suspended) }
            if r { return nextResult }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }
    private func flags() -> (paused: Bool, suspended: Bool, released: Bool) {
        lock.lock()
        defer { lock.unlock() }
        return (paused, suspended, released)
    }
    func release() {
        lock.lock()
        released = true
        lock.unlock()
    }
    /// The user pauses in the app (not part of BackgroundWorkEngine: background code never does).
    func userPauses() {
        record("user pause")
        lock.lock()
        paused = true
        lock.unlock()
    }
    func setSuspended(suspended: Bool) {
        record(suspended ? "suspend" : "unsuspend")
        lock.lock()
        self.suspended = suspended
        lock.unlock()
    }
    func queueStatus() -> QueueStatus {
        lock.lock()
        defer { lock.unlock() }
        return TakeupKitTests.queueStatus(
            hold: paused ? .pausedByUser : suspended ? .suspended : userHold)
    }
    var recorded: [String] {
        lock.lock()
        defer { lock.unlock() }
        return calls
    }
}

typealias Decisions = Recorder<BackgroundDecision>

final class BackgroundPolicyTests: XCTestCase {
    func testDecisions() {
        let drained = BackgroundPolicy.decide(result(uploaded: 2), expired: false)
        XCTAssertEqual([drained.success, drained.resubmit], [true, false])
        let more = BackgroundPolicy.decide(result(uploaded: 1, remaining: 2, timedOut: true), expired: false)
        XCTAssertEqual([more.success, more.resubmit], [true, true])
        XCTAssertTrue(more.reason.contains("out of time"), more.reason)
        let offline = BackgroundPolicy.decide(result(remaining: 4, hold: .offline), expired: false)
        XCTAssertEqual([offline.success, offline.resubmit], [true, true])
        for hold in [Hold.pausedByUser, .notAuthorized, .notConnected] {
            let held = BackgroundPolicy.decide(result(remaining: 4, hold: hold), expired: false)
            XCTAssertEqual([held.success, held.resubmit], [true, false], "\(hold)")
        }
        let expired = BackgroundPolicy.decide(result(uploaded: 1), expired: true)
        XCTAssertEqual([expired.success, expired.resubmit], [false, true])
        let noEngine = BackgroundPolicy.decide(nil, expired: false)
        XCTAssertEqual([noEngine.success, noEngine.resubmit], [false, true])
    }

    func testWhenToAskForBackgroundTime() {
        XCTAssertFalse(BackgroundPolicy.worthScheduling(queueStatus()))
        XCTAssertTrue(BackgroundPolicy.worthScheduling(queueStatus(totals: totals(queued: 1))))
        XCTAssertTrue(BackgroundPolicy.worthScheduling(queueStatus(totals: totals(active: 1))))
        XCTAssertTrue(BackgroundPolicy.worthScheduling(queueStatus(hold: .offline, totals: totals(queued: 1))))
        // Held files wait for the user's selection; user holds wait for the user.
        XCTAssertFalse(BackgroundPolicy.worthScheduling(queueStatus(mode: .manual, totals: totals(held: 5))))
        XCTAssertFalse(BackgroundPolicy.worthScheduling(queueStatus(hold: .pausedByUser, totals: totals(queued: 1))))
        XCTAssertFalse(BackgroundPolicy.worthScheduling(queueStatus(hold: .notConnected, totals: totals(queued: 1))))
        XCTAssertTrue(BackgroundPolicy.worthFinishing(queueStatus(totals: totals(active: 1))))
        XCTAssertFalse(BackgroundPolicy.worthFinishing(queueStatus(totals: totals(queued: 3))))
        XCTAssertFalse(BackgroundPolicy.worthFinishing(queueStatus(hold: .pausedByUser, totals: totals(active: 1))))
    }

    func testFinishingBudget() {
        XCTAssertEqual(BackgroundPolicy.finishingBudget(backgroundTimeRemaining: .greatestFiniteMagnitude), 25)
        XCTAssertEqual(BackgroundPolicy.finishingBudget(backgroundTimeRemaining: .infinity), 25)
        XCTAssertEqual(BackgroundPolicy.finishingBudget(backgroundTimeRemaining: 29.7), 24)
        XCTAssertEqual(BackgroundPolicy.finishingBudget(backgroundTimeRemaining: 12), 7)
        XCTAssertEqual(BackgroundPolicy.finishingBudget(backgroundTimeRemaining: 3), 1)
        XCTAssertEqual(BackgroundPolicy.finishingBudget(backgroundTimeRemaining: -1), 1)
    }

    func testARunThatEndsCompletesOnceWithItsDecision() async {
        let engine = FakeEngine()
        let decisions = Decisions()
        let session = BackgroundSession(maxSeconds: 60, ledger: ExpirySuspension()) { decisions.add($0) }
        engine.nextResult = result(uploaded: 2, remaining: 1, timedOut: true)
        engine.release()
        await session.run(engine)
        session.expire()  // too late: ignored
        XCTAssertEqual(decisions.all.map { [$0.success, $0.resubmit] }, [[true, true]])
        XCTAssertEqual(engine.recorded, ["run(60)"], "no pause after the run ended")
    }

    func testExpirySuspendsCompletesAtOnceAndTheNextRunResumes() async throws {
        let engine = FakeEngine()
        let ledger = ExpirySuspension()
        let decisions = Decisions()
        let session = BackgroundSession(maxSeconds: 1800, ledger: ledger) { decisions.add($0) }
        let run = Task { await session.run(engine) }
        while engine.recorded.isEmpty { try await Task.sleep(nanoseconds: 2_000_000) }
        session.expire()
        XCTAssertEqual(decisions.all.map { [$0.success, $0.resubmit] }, [[false, true]])
        await run.value  // the engine's run returns once suspended; its result is ignored
        XCTAssertEqual(decisions.all.count, 1)
        XCTAssertTrue(ledger.isSuspendedForExpiry)
        XCTAssertEqual(engine.queueStatus().hold, .suspended, "the OS's hold, not the user's pause")

        // The next background run lifts the suspension it made, then runs.
        let next = BackgroundSession(maxSeconds: 1800, ledger: ledger) { decisions.add($0) }
        engine.release()
        await next.run(engine)
        XCTAssertEqual(engine.recorded, ["run(1800)", "suspend", "unsuspend", "run(1800)"])
        XCTAssertFalse(ledger.isSuspendedForExpiry)
        XCTAssertEqual(decisions.all.last?.success, true)
    }

    func testExpiryNeverTouchesThePauseTheUserChose() async throws {
        let engine = FakeEngine()
        let ledger = ExpirySuspension()
        engine.userPauses()
        let session = BackgroundSession(maxSeconds: 60, ledger: ledger) { _ in }
        let run = Task { await session.run(engine) }
        await run.value
        session.expire()  // too late: ignored
        ledger.suspend(engine)  // a later expiry while the user's pause holds
        XCTAssertTrue(ledger.resume(engine))
        XCTAssertEqual(engine.recorded, ["user pause", "run(60)", "suspend", "unsuspend"])
        XCTAssertEqual(engine.queueStatus().hold, .pausedByUser, "the user's pause stays")
    }

    func testExpiryBeforeTheEngineStartedAndAFailedStart() async {
        let engine = FakeEngine()
        let decisions = Decisions()
        let session = BackgroundSession(maxSeconds: 10, ledger: ExpirySuspension()) { decisions.add($0) }
        session.expire()
        await session.run(engine)  // over: does not run
        XCTAssertEqual(engine.recorded, [])
        XCTAssertEqual(decisions.all.count, 1)

        let failed = BackgroundSession(maxSeconds: 10, ledger: ExpirySuspension()) { decisions.add($0) }
        failed.failToStart()
        XCTAssertEqual(decisions.all.last?.success, false)
        XCTAssertEqual(decisions.all.last?.resubmit, true)
        XCTAssertTrue(failed.isFinished)
    }
}
