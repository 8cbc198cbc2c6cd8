// The platform executor of the engine's part leases, as the iOS app runs it: TakeupKit's
// TransferDriver (the code BackgroundTransfers.swift drives with a background URLSession) with
// an ordinary session here (FoundationNetworking has no background sessions): slice files, one
// upload task per lease (`uploadTask(with:fromFile:)`, the lease id in `taskDescription`),
// reports back to the engine. The engine is stopped and started again on the same state
// directory while tasks are in flight, as when iOS kills the app and relaunches it for the
// session's events. scripts/test-swift.sh makes the emulator's test CA the chroot's trust store
// for the run, so URLSession reaches the S3 stand-in over HTTPS.
import Foundation
import Takeup
import TakeupKit
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

private let mib = 1024 * 1024

/// The engine's config for a platform-driven queue: 5 MiB parts, no backoff between retries,
/// the engine's own executor off from the start.
private func transferConfig(stateDir: URL) throws -> EngineConfig {
    EngineConfig(
        stateDir: stateDir.path,
        apiBase: try env("TAKEUP_TEST_API_BASE"),
        clientSecret: try env("TAKEUP_TEST_CLIENT_SECRET"),
        clientVersion: "1.2.3",
        extraRootCaPem: try String(contentsOfFile: env("TAKEUP_TEST_CA_PEM_FILE"), encoding: .utf8),
        uploadHosts: [try env("TAKEUP_TEST_UPLOAD_HOST")],
        queue: QueueTuning(
            maxFiles: 1, partSize: UInt64(5 * mib), backoffMax: 0, adaptive: false,
            engineTransfers: false))
}

/// A clip of `size` bytes that differs in every MiB (written a MiB at a time).
private func writeClip(_ url: URL, size: Int, seed: UInt8) throws {
    guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
        throw CocoaError(.fileWriteUnknown)
    }
    let h = try FileHandle(forWritingTo: url)
    defer { try? h.close() }
    var block = [UInt8](repeating: 0, count: mib)
    for i in 0..<mib { block[i] = UInt8(truncatingIfNeeded: i &* 31 ^ (i >> 9)) }
    var written = 0
    var n: UInt8 = seed
    while written < size {
        let len = min(mib, size - written)
        block[0] = n
        block[len - 1] = n &+ 1
        h.write(Data(block[0..<len]))
        written += len
        n = n &+ 7
    }
}

/// GET a control API path of the emulator (trusted through the chroot's store for the run).
private func control(_ path: String) async throws -> Any {
    let url = try XCTUnwrap(URL(string: try env("TAKEUP_TEST_API_BASE") + path))
    let (data, response) = try await URLSession.shared.data(from: url)
    XCTAssertEqual((response as? HTTPURLResponse)?.statusCode, 200, path)
    return try JSONSerialization.jsonObject(with: data)
}

/// What the driver reported, in order.
private final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [(lease: String, outcome: TransferOutcome, ack: TransferAck?)] = []
    func add(_ lease: String, _ outcome: TransferOutcome, _ ack: TransferAck?) {
        lock.lock()
        list.append((lease, outcome, ack))
        lock.unlock()
    }
    var all: [(lease: String, outcome: TransferOutcome, ack: TransferAck?)] {
        lock.lock()
        defer { lock.unlock() }
        return list
    }
}

final class TransferLeaseTests: XCTestCase {
    func testUrlSessionLeaseExecutorSurvivesAnEngineRestartMidFile() async throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("takeup-lease-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("state")
        let store = MemorySecretStore()
        // A name of its own: the emulator may hold clips of earlier runs.
        let clip = dir.appendingPathComponent("A007_C003_\(UUID().uuidString.prefix(8)).mov")
        let size = 8 * 5 * mib + 4321  // 9 parts of 5 MiB
        try writeClip(clip, size: size, seed: 3)
        let slices = dir.appendingPathComponent("Caches/transfer-slices")
        // A slice left by a killed process: swept when the driver attaches.
        try FileManager.default.createDirectory(at: slices, withIntermediateDirectories: true)
        try Data("stale".utf8).write(to: slices.appendingPathComponent("gone-lease.slice"))

        var engine: TakeupEngine? = try await startEngine(
            config: transferConfig(stateDir: state), secretStore: store)
        _ = try await engine!.pair(listener: nil)  // the script's approver approves the code
        guard case .added = try await engine!.enqueue(path: clip.path, options: EnqueueOptions())
        else { return XCTFail("not added") }

        let config = URLSessionConfiguration.ephemeral
        config.httpMaximumConnectionsPerHost = 3
        let driver = TransferDriver(
            configuration: config, sliceDirectory: slices,
            settings: TransferSettings(maxTasks: 3, sliceBudgetBytes: UInt64(3 * 5 * mib), leaseWait: 10))
        let reports = Reports()
        driver.onReport = { reports.add($0, $1, $2) }
        let takenBack = try await driver.attach(engine!)
        XCTAssertEqual(takenBack, 0)
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: slices.appendingPathComponent("gone-lease.slice").path),
            "orphaned slices are swept")
        driver.startLeasing()

        // Mid-file: some parts acknowledged, the next ones in flight. Then the app is killed:
        // the engine goes, the session's tasks go on.
        try await waitFor("three parts stored", seconds: 60) {
            reports.all.filter { $0.ack == .applied }.count >= 3
        }
        driver.stopLeasing()
        driver.detach()
        let inFlightAtRestart = driver.tasksInFlight
        engine!.shutdown()
        engine = nil
        XCTAssertLessThanOrEqual(inFlightAtRestart, 3)

        // Relaunch: a new engine on the same state; the driver tells it what the session still
        // runs (and reports what finished meanwhile), then goes on leasing.
        let second = try await startEngine(config: transferConfig(stateDir: state), secretStore: store)
        XCTAssertTrue(second.isPaired())
        try await driver.attach(second)
        driver.startLeasing()
        try await waitFor("the clip uploaded", seconds: 120) {
            second.queueStatus().totals.done == 1
        }
        do {
            try await waitFor("the driver idle", seconds: 30) { driver.isIdle }
        } catch {
            XCTFail("the driver is not idle; in flight: \(driver.leasesInFlight)")
            throw error
        }
        driver.stopLeasing()

        // Every report was taken (nil: kept while the engine restarted, then reported to the
        // new one), none was stale (no part went twice), every slice deleted.
        let all = reports.all.filter { $0.ack != nil }
        XCTAssertTrue(all.allSatisfy { $0.ack == .applied }, "\(reports.all.map { ($0.lease, $0.ack as Any) })")
        XCTAssertTrue(all.allSatisfy { if case .stored = $0.outcome { return true } else { return false } })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: slices.path), [])
        XCTAssertTrue(second.queueStatus().failed.isEmpty)

        // The emulator holds the clip's bytes; each part stored once, plus at most the parts in
        // flight at the restart.
        let list = try await control("/_emulator/assets")
        let assets = try XCTUnwrap(list as? [[String: Any]])
        let matching = assets.filter { $0["name"] as? String == clip.lastPathComponent && $0["complete"] as? Bool == true }
        XCTAssertEqual(matching.count, 1, "one complete asset")
        let id = try XCTUnwrap(matching.first?["id"] as? String)
        let report = try await control("/_emulator/assets/\(id)")
        let asset = try XCTUnwrap(report as? [String: Any])
        XCTAssertEqual(asset["sha256"] as? String, try sha256Hex(of: clip))
        let parts = try XCTUnwrap(asset["parts"] as? [String: [String: Any]])
        XCTAssertEqual(parts.count, 9)
        let counts = parts.values.map { ($0["received_count"] as? Int) ?? 0 }
        XCTAssertTrue(counts.allSatisfy { $0 >= 1 }, "\(counts)")
        XCTAssertLessThanOrEqual(counts.reduce(0, +) - parts.count, inFlightAtRestart, "\(counts)")
        XCTAssertEqual(all.count, 9, "one applied report per part")
        XCTAssertEqual(Set(all.map { $0.lease }).count, 9)
        second.shutdown()
    }

    func testUrlSessionResultsMapToLeaseReports() throws {
        let url = URL(string: "https://s3.example/parts/1/1")!
        let ok = HTTPURLResponse(url: url, statusCode: 200, httpVersion: nil, headerFields: ["ETag": "\"abc\""])
        XCTAssertEqual(TransferReport.outcome(error: nil, response: ok, body: Data()), .stored(etag: "\"abc\""))
        let slow = HTTPURLResponse(url: url, statusCode: 503, httpVersion: nil, headerFields: ["Retry-After": "7"])
        let body = Data("<Error><Code>SlowDown</Code></Error>".utf8)
        XCTAssertEqual(
            TransferReport.outcome(error: nil, response: slow, body: body),
            .failed(.http(status: 503, body: "<Error><Code>SlowDown</Code></Error>", retryAfter: 7)))
        let cases: [(URLError.Code, TransferError)] = [
            (.cancelled, .abandoned),
            (.timedOut, .network(kind: .timeout)),
            (.cannotConnectToHost, .network(kind: .connect)),
            (.notConnectedToInternet, .network(kind: .connect)),
            (.secureConnectionFailed, .network(kind: .tls)),
            (.networkConnectionLost, .network(kind: .interrupted)),
        ]
        for (code, expected) in cases {
            XCTAssertEqual(TransferReport.transferError(for: URLError(code)), expected, "\(code)")
        }
        // The request carries the lease's headers but leaves Content-Length to URLSession.
        let t = PartTransfer(
            leaseId: "l1", assetId: 1, partNumber: 2, method: "PUT", url: url.absoluteString,
            headers: [
                TransferHeader(name: "Content-Type", value: "video/quicktime"),
                TransferHeader(name: "x-amz-acl", value: "private"),
                TransferHeader(name: "Content-Length", value: "5"),
                TransferHeader(name: "Content-MD5", value: "q83vEjRWeJA="),
            ],
            path: "/tmp/x", offset: 0, length: 5, contentMd5: "q83vEjRWeJA=", expiresAtMs: 0)
        let r = try XCTUnwrap(TransferReport.request(for: t))
        XCTAssertEqual(r.httpMethod, "PUT")
        XCTAssertEqual(r.value(forHTTPHeaderField: "Content-Type"), "video/quicktime")
        XCTAssertEqual(r.value(forHTTPHeaderField: "x-amz-acl"), "private")
        XCTAssertEqual(r.value(forHTTPHeaderField: "Content-MD5"), "q83vEjRWeJA=")
        XCTAssertNil(r.value(forHTTPHeaderField: "Content-Length"))
    }
}
