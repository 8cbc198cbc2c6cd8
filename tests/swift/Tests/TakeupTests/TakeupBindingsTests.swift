// XCTest tests of the generated Swift bindings (module Takeup) against the host-built
// libtakeup_ffi and a real C2C emulator started by scripts/test-swift.sh (TAKEUP_TEST_*
// variables). The same flow as tests/kotlin/TakeupBindingsTest.kt. FoundationNetworking on Linux
// cannot be told to trust the emulator's test CA, so the script approves pairing codes (curl),
// answers sign-in pages written to TAKEUP_TEST_EMULATOR_DUMP and dumps the emulator's asset
// reports there; see tests/swift/README.md.
import Foundation
import Takeup
import XCTest

/// The app's secure storage, in memory: records what the engine stores.
final class MemorySecretStore: SecretStore, @unchecked Sendable {
    private let lock = NSLock()
    private var map: [String: String] = [:]
    private(set) var sets = 0
    var failWith: SecretStoreError?

    func get(key: String) throws -> String? {
        lock.lock()
        defer { lock.unlock() }
        if let e = failWith { throw e }
        return map[key]
    }
    func set(key: String, value: String) throws {
        lock.lock()
        defer { lock.unlock() }
        if let e = failWith { throw e }
        sets += 1
        map[key] = value
    }
    func delete(key: String) throws {
        lock.lock()
        defer { lock.unlock() }
        map.removeValue(forKey: key)
    }
    var snapshot: [String: String] {
        lock.lock()
        defer { lock.unlock() }
        return map
    }
}

// Values delivered on engine threads are collected in `Recorder<T>`: TakeupKit's test support
// (ios/TakeupKit/Tests/TakeupKitTests/TestSupport.swift), staged next to this file.

final class StatusRecorder: StatusListener, @unchecked Sendable {
    let statuses = Recorder<EngineStatus>()
    func onStatus(status: EngineStatus) { statuses.add(status) }
}

final class PairingRecorder: PairingListener, @unchecked Sendable {
    let progress = Recorder<PairingProgress>()
    func onProgress(progress: PairingProgress) { self.progress.add(progress) }
    var firstCode: String? { progress.all.compactMap { $0.code?.userCode }.first }
}

final class UploadRecorder: UploadListener, @unchecked Sendable {
    let statuses = Recorder<QueueStatus>()
    let failures = Recorder<FileEntry>()
    func onQueueStatus(status: QueueStatus) { statuses.add(status) }
    func onUploadFailed(file: FileEntry) { failures.add(file) }
}

private func writeMedia(_ url: URL, size: Int, seed: Int) throws {
    var data = Data(count: size)
    data.withUnsafeMutableBytes { (b: UnsafeMutableRawBufferPointer) in
        for i in 0..<size { b[i] = UInt8(truncatingIfNeeded: (i &* 31 &+ seed) ^ (i >> 9)) }
    }
    try data.write(to: url)
}

/// The asset report the script dumped for a completed asset with this name, if any.
private func dumpedAsset(named name: String) throws -> [String: Any]? {
    let dir = URL(fileURLWithPath: try env("TAKEUP_TEST_EMULATOR_DUMP"))
    let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    for f in files where f.hasPrefix("asset-") && f.hasSuffix(".json") {
        let data = try Data(contentsOf: dir.appendingPathComponent(f))
        if let a = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            a["name"] as? String == name, a["complete"] as? Bool == true
        {
            return a
        }
    }
    return nil
}

private func tempDir() throws -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent(
        "takeup-swift-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}

private let redirectUri = "io.takeup.app:/oauth2redirect"

private func config(stateDir: URL, apiBase: String? = nil) throws -> EngineConfig {
    EngineConfig(
        stateDir: stateDir.path,
        apiBase: try apiBase ?? env("TAKEUP_TEST_API_BASE"),
        clientSecret: try env("TAKEUP_TEST_CLIENT_SECRET"),
        clientVersion: "1.2.3",
        extraRootCaPem: try String(contentsOfFile: env("TAKEUP_TEST_CA_PEM_FILE"), encoding: .utf8),
        uploadHosts: [try env("TAKEUP_TEST_UPLOAD_HOST")],
        queue: QueueTuning(maxFiles: 2, growthIdle: 2),
        appSignIn: AppSignIn(
            clientId: try env("TAKEUP_TEST_APP_CLIENT_ID"), redirectUris: [redirectUri],
            applicationsBase: try env("TAKEUP_TEST_APPLICATIONS_BASE"), scope: nil))
}

/// The browser step of a sign-in, done on the host by scripts/test-swift.sh (the emulator's CA
/// cannot be trusted from here): write the authorization URL, read back where the browser would
/// be sent (the app's redirect URI with `code` and `state`).
private func approveSignInOnTheHost(_ authorizationUrl: String) async throws -> String {
    let dir = URL(fileURLWithPath: try env("TAKEUP_TEST_EMULATOR_DUMP"))
    let id = UUID().uuidString
    try authorizationUrl.write(to: dir.appendingPathComponent("signin-\(id).url"), atomically: true, encoding: .utf8)
    let answer = dir.appendingPathComponent("signin-\(id).redirect")
    var redirect = ""
    try await waitFor("the host's approval of the sign-in", seconds: 30) {
        redirect = ((try? String(contentsOf: answer, encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return !redirect.isEmpty
    }
    return redirect
}

final class TakeupBindingsTests: XCTestCase {
    func testVersionIsTheCrateVersion() throws {
        XCTAssertEqual(takeupVersion(), try env("TAKEUP_EXPECTED_VERSION"))
    }

    func testHttpApiBaseIsATypedInvalidConfigError() async throws {
        let store = MemorySecretStore()
        do {
            _ = try await startEngine(
                config: config(stateDir: tempDir(), apiBase: "http://127.0.0.1:9"), secretStore: store)
            XCTFail("expected TakeupError.InvalidConfig")
        } catch let e as TakeupError {
            guard case let .InvalidConfig(message) = e else {
                return XCTFail("expected InvalidConfig, got \(e)")
            }
            XCTAssertTrue(message.contains("https"), message)
            XCTAssertEqual(errorAction(error: e), .fixConfiguration)
        }
        XCTAssertTrue(store.snapshot.isEmpty)
    }

    func testPairIdentityUploadAndErrorsThroughTheEmulator() async throws {
        let store = MemorySecretStore()
        let dir = try tempDir()
        let engine = try await startEngine(
            config: config(stateDir: dir.appendingPathComponent("state")), secretStore: store)

        // Status listener: the current status arrives during subscribe.
        let status = StatusRecorder()
        let statusSub = engine.subscribeStatus(listener: status)
        XCTAssertEqual(status.statuses.all.first?.connection, .notAuthorized)
        XCTAssertFalse(engine.isPaired())

        // Pairing: the code reaches the listener; the script's approver approves it.
        let pairing = PairingRecorder()
        let identity = try await engine.pair(listener: pairing)
        let code = try XCTUnwrap(pairing.firstCode, "the pairing listener saw a code")
        let shown = try XCTUnwrap(pairing.progress.all.first { $0.code != nil })
        XCTAssertEqual(shown.phase, .waitingForUser)
        XCTAssertTrue(shown.code?.verificationUriComplete?.contains(code) == true)

        // Identity (from the device: a paired device may not read /v2/me) and tokens.
        XCTAssertEqual(identity.user.name, "Dana Reyes")
        XCTAssertEqual(identity.user.email, "")
        XCTAssertEqual(identity.project?.name, "Testbed")
        XCTAssertEqual(engine.signInMethod(), .deviceCode)
        // The cached identity is this one, or a later re-read of it (the device socket re-reads the
        // device once it joins, which may already have happened).
        var cached = try XCTUnwrap(engine.identity())
        XCTAssertGreaterThanOrEqual(cached.fetchedAt, identity.fetchedAt)
        cached.fetchedAt = identity.fetchedAt
        XCTAssertEqual(cached, identity)
        XCTAssertTrue(engine.isPaired())
        XCTAssertTrue(store.snapshot.keys.contains { $0.hasPrefix("c2c-tokens.") }, "\(store.snapshot.keys)")
        XCTAssertGreaterThanOrEqual(store.sets, 1)
        try await waitFor("Connected in the status listener", seconds: 5) {
            if case .connected = status.statuses.all.last?.connection { return true }
            return false
        }
        XCTAssertTrue(
            status.statuses.all.contains {
                if case let .pairing(p) = $0.connection { return p.code?.userCode == code }
                return false
            }, "the status listener saw the code")

        // The connection manager needs a sign-in with a Frame.io account.
        do {
            _ = try await engine.listAccounts()
            XCTFail("expected Rejected")
        } catch let e as TakeupError {
            guard case .Rejected = e else { return XCTFail("expected Rejected, got \(e)") }
            XCTAssertEqual(errorAction(error: e), .checkAccess)
        }

        // Uploads: a ~7 MiB clip and a small file, followed through the upload listener.
        let big = dir.appendingPathComponent("A001_C001.mov")
        let small = dir.appendingPathComponent("notes.txt")
        try writeMedia(big, size: 7 * 1024 * 1024 + 123, seed: 1)
        try writeMedia(small, size: 4000, seed: 2)
        let uploads = UploadRecorder()
        let uploadSub = engine.subscribeUploads(listener: uploads)
        let a = try await engine.enqueue(path: big.path, options: EnqueueOptions(kind: .hero))
        let b = try await engine.enqueue(path: small.path, options: EnqueueOptions(kind: .other, top: true))
        guard case .added = a, case .added = b else { return XCTFail("\(a) \(b)") }
        try await waitFor("both uploads done", seconds: 60) {
            uploads.statuses.all.contains { $0.totals.done == 2 && $0.totals.filesRemaining == 0 }
        }
        XCTAssertTrue(uploads.failures.all.isEmpty, "\(uploads.failures.all)")
        let last = try XCTUnwrap(uploads.statuses.all.last)
        XCTAssertEqual(Set(last.completed.map { $0.name }), [big.lastPathComponent, small.lastPathComponent])

        // The emulator holds the same bytes (sha256 from its control API, dumped by the script).
        for file in [big, small] {
            try await waitFor("the emulator's report of \(file.lastPathComponent)", seconds: 15) {
                try dumpedAsset(named: file.lastPathComponent)?["sha256"] != nil
            }
            let remote = try XCTUnwrap(dumpedAsset(named: file.lastPathComponent)?["sha256"] as? String)
            XCTAssertEqual(remote, try sha256Hex(of: file), file.lastPathComponent)
        }

        // Take log: a comment on the uploaded clip, kept in the journal and sent once (the
        // script dumps the emulator's comments).
        guard case let .added(clipId) = a else { return XCTFail("\(a)") }
        let note = try await engine.addComment(fileId: clipId, text: "circle take", frame: 12)
        XCTAssertEqual(note.kind, .comment)
        XCTAssertEqual(note.fileName, big.lastPathComponent)
        var sent = false
        let deadline = Date().addingTimeInterval(30)
        while !sent {
            sent = try await engine.notes(fileId: nil, limit: 10).allSatisfy { $0.state == .sent }
            if !sent {
                if Date() > deadline { throw TimedOut(what: "the comment sent") }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        let commentsFile = URL(fileURLWithPath: try env("TAKEUP_TEST_EMULATOR_DUMP"))
            .appendingPathComponent("comments.json")
        // The emulator is shared by the whole run: other tests' comments are in the dump too.
        var mine: [[String: Any]] = []
        try await waitFor("the emulator's comments", seconds: 15) {
            let data = (try? Data(contentsOf: commentsFile)) ?? Data()
            let stored = ((try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]]) ?? []
            mine = stored.filter { $0["text"] as? String == "circle take" }
            return !mine.isEmpty
        }
        XCTAssertEqual(mine.count, 1, "\(mine)")
        XCTAssertEqual(mine.first?["timestamp"] as? Double, 12)
        do {
            _ = try await engine.addComment(fileId: clipId, text: "   ", frame: nil)
            XCTFail("expected BadInput")
        } catch let e as TakeupError {
            guard case .BadInput = e else { return XCTFail("expected BadInput, got \(e)") }
        }

        // Background hook: nothing left to do.
        let bg = await engine.runBackgroundWork(maxSeconds: 5)
        XCTAssertEqual(bg.remaining, 0)
        XCTAssertFalse(bg.moreWork)

        // A typed error: a missing file is BadInput, with an action.
        do {
            _ = try await engine.enqueue(
                path: dir.appendingPathComponent("missing.mov").path, options: EnqueueOptions())
            XCTFail("expected BadInput")
        } catch let e as TakeupError {
            guard case let .BadInput(message) = e else { return XCTFail("expected BadInput, got \(e)") }
            XCTAssertEqual(errorAction(error: e), .checkInput)
            XCTAssertFalse(store.snapshot.values.contains { message.contains($0) }, "no token in messages")
        }

        // Cancelling subscriptions stops deliveries; the network input still reaches status.
        uploadSub.cancel()
        statusSub.cancel()
        XCTAssertFalse(uploadSub.isActive())
        XCTAssertFalse(statusSub.isActive())
        try await Task.sleep(nanoseconds: 200_000_000)
        let seen = status.statuses.all.count
        let seenUploads = uploads.statuses.all.count
        engine.networkChanged(online: false, connectionType: .cellular)
        engine.pauseUploads()
        try await Task.sleep(nanoseconds: 500_000_000)
        XCTAssertEqual(status.statuses.all.count, seen)
        XCTAssertEqual(uploads.statuses.all.count, seenUploads)
        XCTAssertFalse(engine.status().network.online)
        XCTAssertEqual(engine.status().network.connectionType, .cellular)
        engine.resumeUploads()
        engine.networkChanged(online: true, connectionType: .wifi)

        // Sign out deletes the tokens from the app's store.
        _ = try await engine.signOut()
        XCTAssertTrue(store.snapshot.isEmpty, "\(store.snapshot.keys)")
        XCTAssertEqual(engine.connectionState(), .notAuthorized)

        // Sign in with the Frame.io account (the app flow) through the bindings, then the
        // connection manager and an upload.
        XCTAssertTrue(engine.signInAvailable())
        let request = try engine.beginSignIn(redirectUri: nil)
        XCTAssertEqual(request.redirectUri, redirectUri)
        XCTAssertTrue(request.authorizationUrl.contains("code_challenge_method=S256"), request.authorizationUrl)
        XCTAssertEqual(engine.pendingSignIn(), request)
        let redirect = try await approveSignInOnTheHost(request.authorizationUrl)
        let me = try await engine.completeSignIn(redirectUrl: redirect)
        XCTAssertEqual(me.user.email, "dana.reyes@example.com")
        XCTAssertNil(me.project)
        XCTAssertEqual(engine.signInMethod(), .account)
        XCTAssertNil(engine.pendingSignIn())
        guard case let .accounts(accounts) = try await engine.listAccounts() else {
            return XCTFail("expected accounts")
        }
        let projects = try await engine.listProjects(accountId: accounts[0].id, search: "testb")
        let testbed = try XCTUnwrap(projects.first { $0.name == "Testbed" }, "\(projects)")
        let connected = try await engine.connect(projectId: testbed.id)
        XCTAssertEqual(connected.project?.name, "Testbed")
        let third = dir.appendingPathComponent("A002_C001.mov")
        try writeMedia(third, size: 300_000, seed: 3)
        let uploads2 = UploadRecorder()
        let uploadSub2 = engine.subscribeUploads(listener: uploads2)
        _ = try await engine.enqueue(path: third.path, options: EnqueueOptions())
        try await waitFor("the upload after signing in", seconds: 60) {
            uploads2.statuses.all.contains { $0.totals.done == 3 && $0.totals.filesRemaining == 0 }
        }
        uploadSub2.cancel()
        try await waitFor("the emulator's report of \(third.lastPathComponent)", seconds: 15) {
            try dumpedAsset(named: third.lastPathComponent)?["sha256"] != nil
        }
        XCTAssertEqual(try dumpedAsset(named: third.lastPathComponent)?["sha256"] as? String, try sha256Hex(of: third))
        await engine.appForeground()
        _ = try await engine.signOut()
        XCTAssertTrue(store.snapshot.isEmpty, "\(store.snapshot.keys)")
        engine.shutdown()
    }

    func testADeclinedSignInIsCancelledAndAStaleOneIsRefused() async throws {
        let store = MemorySecretStore()
        let engine = try await startEngine(config: config(stateDir: tempDir()), secretStore: store)
        _ = try engine.beginSignIn(redirectUri: nil)
        do {
            _ = try await engine.completeSignIn(
                redirectUrl: "\(redirectUri)?error=access_denied&state=not-this-one")
            XCTFail("expected a refusal")
        } catch let e as TakeupError {
            guard case .NotAuthorized = e else { return XCTFail("expected NotAuthorized, got \(e)") }
        }
        XCTAssertNotNil(engine.pendingSignIn(), "a stale answer keeps the sign-in")
        engine.shutdown()
    }

    func testPairingCanBeCancelledAndAStoreFailureIsReported() async throws {
        let store = MemorySecretStore()
        let engine = try await startEngine(config: config(stateDir: tempDir()), secretStore: store)
        let pairing = PairingRecorder()
        let task = Task { try await engine.pair(listener: pairing) }
        // Cancel as soon as the code shows (the script's approver waits a second before approving).
        try await waitFor("a pairing code", seconds: 20) { pairing.firstCode != nil }
        XCTAssertTrue(engine.cancelPairing())
        do {
            _ = try await task.value
            XCTFail("expected Cancelled")
        } catch let e as TakeupError {
            guard case .Cancelled = e else { return XCTFail("expected Cancelled, got \(e)") }
            XCTAssertEqual(errorAction(error: e), ErrorAction.none)
        }
        XCTAssertTrue(store.snapshot.isEmpty)
        XCTAssertEqual(engine.connectionState(), .notAuthorized)

        // A store that throws: its error reaches the engine as a typed error.
        let failing = MemorySecretStore()
        failing.failWith = .Unavailable(reason: "device locked")
        do {
            _ = try await startEngine(config: config(stateDir: tempDir()), secretStore: failing)
            XCTFail("expected a Storage error")
        } catch let e as TakeupError {
            guard case let .Storage(message) = e else { return XCTFail("expected Storage, got \(e)") }
            XCTAssertTrue(message.contains("device locked"), message)
            XCTAssertEqual(errorAction(error: e), .checkStorage)
        }
    }
}
