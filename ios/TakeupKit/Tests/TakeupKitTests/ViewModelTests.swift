// The engine's view model over the real FFI, presented by TakeupKit: a fresh engine, then (with the
// emulator of scripts/test-swift.sh, whose approvers confirm pairing codes and sign-in pages)
// pairing, sign-out, a sign-in with the Frame.io account, the project pickers and sign-out driven
// only by `dispatch`, as the SwiftUI app does.
import Foundation
import Takeup
import XCTest

@testable import TakeupKit

final class ViewRecorder: ViewListener, @unchecked Sendable {
    private let views = Recorder<AppView>()
    func onView(view: AppView) { views.add(view) }
    var all: [AppView] { views.all }
    var last: AppView? { all.last }
    /// The connection state ids seen, without repeats in a row.
    var connectionStates: [String] {
        var out: [String] = []
        for v in all {
            let id = Presentation.connectionStateId(v.connection)
            if out.last != id { out.append(id) }
        }
        return out
    }
}

func env(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
}

/// The browser step of a sign-in with a Frame.io account. FoundationNetworking cannot trust the
/// emulator's CA, so scripts/test-swift.sh does it on the host: this writes the authorization URL
/// to the shared folder (TAKEUP_TEST_EMULATOR_DUMP) and the host's approver answers with the URL
/// the browser would be sent back to (the app's redirect URI with `code` and `state`).
func approveSignInOnTheHost(_ authorizationUrl: String, seconds: Double = 30) async throws -> String {
    guard let dump = env("TAKEUP_TEST_EMULATOR_DUMP") else {
        throw XCTSkip("TAKEUP_TEST_EMULATOR_DUMP is not set: run scripts/test-swift.sh")
    }
    let dir = URL(fileURLWithPath: dump)
    let id = UUID().uuidString
    try authorizationUrl.write(to: dir.appendingPathComponent("signin-\(id).url"), atomically: true, encoding: .utf8)
    let answer = dir.appendingPathComponent("signin-\(id).redirect")
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let redirect = try? String(contentsOf: answer, encoding: .utf8), !redirect.isEmpty {
            return redirect.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try await Task.sleep(nanoseconds: 100_000_000)
    }
    throw SignInRelayTimeout()
}

struct SignInRelayTimeout: Error {}

/// The emulator's registered app client (scripts/test-emulator.sh exports it).
func testAppSignIn(api: String) -> (clientId: String, applicationsBase: String) {
    (env("TAKEUP_TEST_APP_CLIENT_ID") ?? "takeup-app", env("TAKEUP_TEST_APPLICATIONS_BASE") ?? api)
}

final class ViewModelTests: XCTestCase {
    private func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("takeupkit-vm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// Wait until the latest view satisfies `condition`.
    private func waitForView(_ what: String, in rec: ViewRecorder, seconds: Double = 30,
                             _ condition: (AppView) -> Bool) async throws -> AppView {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let v = rec.last, condition(v) { return v }
            if Date() > deadline {
                XCTFail("timed out waiting for \(what); states seen: \(rec.connectionStates)")
                throw CancellationError()
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    private func state(_ v: AppView) -> String { Presentation.connectionStateId(v.connection) }

    func testAFreshEngineShowsTheCallToActionAndAnEmptyQueue() async throws {
        guard let ca = env("TAKEUP_TEST_CA_PEM_FILE") else {
            throw XCTSkip("TAKEUP_TEST_CA_PEM_FILE is not set: run scripts/test-swift.sh")
        }
        let holder = EngineHolder(
            settings: EngineSettings(apiBase: "https://127.0.0.1:9", clientSecret: "x", clientVersion: "1.0.0",
                                     extraRootCaPem: try String(contentsOfFile: ca, encoding: .utf8)),
            secretStore: MemoryStore(), stateDirectory: try tempDir())
        let engine = try await holder.engine()
        let vm = engine.viewModel()
        let view = vm.current()
        XCTAssertEqual(state(view), "not_authorized")
        XCTAssertEqual(view.connectionActions, [.pair])
        XCTAssertEqual(Presentation.command(.pair), .dispatch(.pair))
        XCTAssertEqual(Presentation.banner(view.queue.banner).stateId, "empty")
        XCTAssertEqual(Presentation.connection(view).title, view.connectionHeader.title)
        XCTAssertFalse(view.connectionHeader.title.isEmpty)
        XCTAssertTrue(view.takeLog.clips.isEmpty)
        XCTAssertFalse(Presentation.takeLog(view.takeLog).canTrigger, "no triggers before connecting")
        XCTAssertTrue(view.queue.sections.isEmpty)
        XCTAssertNil(view.alert)

        let rec = ViewRecorder()
        let sub = vm.subscribe(listener: rec)
        _ = try await waitForView("the first view", in: rec, seconds: 5) { _ in true }
        // Offline, reported as the app's NetworkMonitor would.
        NetworkReporter(sink: engine).update(PathSnapshot(satisfied: false, interfaces: []))
        let offline = try await waitForView("offline", in: rec, seconds: 5) {
            Presentation.network($0.network).stateId == "offline"
        }
        XCTAssertFalse(Presentation.network(offline.network).isOnline)
        sub.cancel()
        await holder.shutdown()
    }

    func testPairThenSignInChooseAProjectAndSignOutThroughTheViewModel() async throws {
        guard let api = env("TAKEUP_TEST_API_BASE"), let ca = env("TAKEUP_TEST_CA_PEM_FILE"),
              let secret = env("TAKEUP_TEST_CLIENT_SECRET"), let host = env("TAKEUP_TEST_UPLOAD_HOST")
        else { throw XCTSkip("the emulator is not running: run scripts/test-swift.sh") }
        let store = MemoryStore()
        let app = testAppSignIn(api: api)
        let holder = EngineHolder(
            settings: EngineSettings(apiBase: api, clientSecret: secret, clientVersion: "1.2.3",
                                     uploadHosts: [host], extraRootCaPem: try String(contentsOfFile: ca, encoding: .utf8),
                                     appClientId: app.clientId, applicationsBase: app.applicationsBase),
            secretStore: store, stateDirectory: try tempDir())
        let engine = try await holder.engine()
        let vm = engine.viewModel()
        let rec = ViewRecorder()
        let sub = vm.subscribe(listener: rec)
        defer { sub.cancel() }
        let first = try await waitForView("not_authorized", in: rec) { self.state($0) == "not_authorized" }
        XCTAssertEqual(first.connectionActions, [.pair, .signIn], "both ways to connect")

        // Pair: the code is shown (QR content, link, countdown), then the script's approver
        // confirms it (default project) and the engine is connected.
        guard case .dispatch(let pair) = Presentation.command(.pair) else { return XCTFail("pair") }
        vm.dispatch(action: pair)
        let showing = try await waitForView("showing_code", in: rec) { self.state($0) == "showing_code" }
        guard case .showingCode(let code, _, _, let qr, _, _, _, let attempt, let linkText, let countdown, let note)
                = showing.connection else {
            return XCTFail("showing_code")
        }
        XCTAssertFalse(qr.isEmpty)
        XCTAssertEqual(attempt, 1)
        XCTAssertTrue(showing.connectionActions.contains(.cancelPairing))
        guard case .open(let link) = Presentation.command(.openVerificationLink, connection: showing.connection) else {
            return XCTFail("the verification link")
        }
        XCTAssertTrue(link.absoluteString.contains(code), "\(link)")
        XCTAssertTrue(countdown.hasPrefix("Expires in "), countdown)
        XCTAssertNotNil(linkText)
        XCTAssertNil(note, "the first code")
        var view = try await waitForView("paired", in: rec, seconds: 40) {
            ["connected", "failed"].contains(self.state($0))
        }
        guard case .connected(let pairedUser, _, _, let method) = view.connection else {
            return XCTFail("expected connected, got \(view.connection)")
        }
        XCTAssertEqual(method, .deviceCode)
        XCTAssertEqual(pairedUser.name, "Dana Reyes")
        XCTAssertEqual(view.connectionActions, [.refresh, .signOut], "no connection manager for a paired device")
        vm.dispatch(action: .signOut)
        _ = try await waitForView("signed out", in: rec) { self.state($0) == "not_authorized" }

        // Sign in with the Frame.io account: the page (here: the host's approver) sends the browser
        // back with a code, handed to the view model as complete_sign_in.
        vm.dispatch(action: .signIn)
        view = try await waitForView("signing_in", in: rec) { self.state($0) == "signing_in" }
        guard case .signIn(let page) = Presentation.command(.openSignIn, connection: view.connection) else {
            return XCTFail("the sign-in page")
        }
        XCTAssertTrue(page.absoluteString.contains("code_challenge_method=S256"), "\(page)")
        let redirect = try await approveSignInOnTheHost(page.absoluteString)
        guard case .dispatch(let complete) = Presentation.command(.completeSignIn, target: .redirect(redirect)) else {
            return XCTFail("complete_sign_in")
        }
        vm.dispatch(action: complete)
        view = try await waitForView("the account picker", in: rec, seconds: 40) {
            ["choosing_account", "no_c2c_accounts", "failed"].contains(self.state($0))
        }
        if case .choosingAccount(_, let accounts) = view.connection, let first = accounts.first {
            guard case .dispatch(let choose) = Presentation.command(.chooseAccount, target: .account(first.id)) else {
                return XCTFail("choose account")
            }
            vm.dispatch(action: choose)
            view = try await waitForView("projects", in: rec) { ["choosing_project", "failed"].contains(self.state($0)) }
        }
        vm.dispatch(action: .searchProjects(query: "testb"))
        view = try await waitForView("search results", in: rec) {
            if case .choosingProject(_, _, "testb", let projects, _, _, _) = $0.connection { return !projects.isEmpty }
            return false
        }
        guard case .choosingProject(_, _, _, let projects, _, let countText, _) = view.connection,
              let testbed = projects.first(where: { $0.name == "Testbed" })
        else { return XCTFail("Testbed in \(view.connection)") }
        XCTAssertFalse(countText.isEmpty)
        vm.dispatch(action: .chooseProject(projectId: testbed.id))
        view = try await waitForView("connected", in: rec) { ["connected", "failed"].contains(self.state($0)) }
        guard case .connected(let user, let project, _, let accountMethod) = view.connection else {
            return XCTFail("expected connected, got \(view.connection); states: \(rec.connectionStates)")
        }
        XCTAssertEqual(accountMethod, .account)
        XCTAssertEqual(user.name, "Dana Reyes")
        XCTAssertFalse(user.email.isEmpty)
        XCTAssertEqual(project.name, "Testbed")
        let connected = Presentation.connection(view)
        XCTAssertEqual(connected.title, view.connectionHeader.title)
        XCTAssertEqual(connected.tone, .positive)
        let buttons = Presentation.buttonActions(view.connectionActions).map(Presentation.actionId)
        for id in ["change_project", "disconnect", "sign_out"] {
            XCTAssertTrue(buttons.contains(id), "connected offers \(id): \(buttons)")
        }
        XCTAssertTrue(store.get(anyKeyWithPrefix: "c2c-tokens."), "tokens in the app's store")

        // Change project opens the pickers with a way back; cancel_change returns to connected.
        vm.dispatch(action: .changeProject)
        view = try await waitForView("the pickers", in: rec) {
            ["choosing_account", "choosing_project", "no_c2c_accounts"].contains(self.state($0))
        }
        XCTAssertTrue(view.connectionActions.contains(.cancelChange), "\(view.connectionActions)")
        vm.dispatch(action: .cancelChange)
        _ = try await waitForView("connected again", in: rec) { self.state($0) == "connected" }

        // Sign out: back to the call to action, tokens gone.
        guard case .dispatch(let signOut) = Presentation.command(.signOut) else { return XCTFail("sign out") }
        vm.dispatch(action: signOut)
        _ = try await waitForView("signed out", in: rec) { self.state($0) == "not_authorized" }
        XCTAssertFalse(store.get(anyKeyWithPrefix: "c2c-tokens."))
        await holder.shutdown()
    }

    /// The take log through the view model, as the app's take-log screen drives it: a clip queued
    /// before the device is connected gets its scene and take, a note on a frame and a circle
    /// (all waiting: the clip has no asset yet); once paired, the clip uploads and every note is
    /// sent.
    func testTakeLogMarksAndNotesAreSentOnceTheClipUploads() async throws {
        guard let api = env("TAKEUP_TEST_API_BASE"), let ca = env("TAKEUP_TEST_CA_PEM_FILE"),
              let secret = env("TAKEUP_TEST_CLIENT_SECRET"), let host = env("TAKEUP_TEST_UPLOAD_HOST")
        else { throw XCTSkip("the emulator is not running: run scripts/test-swift.sh") }
        let dir = try tempDir()
        let holder = EngineHolder(
            settings: EngineSettings(apiBase: api, clientSecret: secret, clientVersion: "1.2.3",
                                     uploadHosts: [host], extraRootCaPem: try String(contentsOfFile: ca, encoding: .utf8)),
            secretStore: MemoryStore(), stateDirectory: dir.appendingPathComponent("state"))
        let engine = try await holder.engine()
        let vm = engine.viewModel()
        let rec = ViewRecorder()
        let sub = vm.subscribe(listener: rec)
        defer { sub.cancel() }

        let media = dir.appendingPathComponent("B002_C004.mov")
        try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: media)
        guard case .added(let fileId) = try await engine.enqueue(path: media.path, options: EnqueueOptions()) else {
            return XCTFail("the clip was not queued")
        }
        func clip(_ v: AppView) -> TakeClipPresentation? {
            v.takeLog.clips.first { $0.fileId == fileId }.map(Presentation.clip)
        }
        var view = try await waitForView("the clip in the take log", in: rec) { clip($0) != nil }
        var c = try XCTUnwrap(clip(view))
        XCTAssertEqual(c.clip, "B002_C004.mov")
        XCTAssertFalse(c.isLogged)
        XCTAssertEqual(c.actions, [.logTake, .toggleCircle, .addNote])

        // The scene/take form, then the note field, as the screen sends them.
        var form = TakeForm(c)
        form.scene = " 12A"
        form.take = "3 "
        XCTAssertTrue(form.changes(c))
        guard let take = form.target(fileId: fileId),
              case .dispatch(let logTake) = Presentation.command(.logTake, target: take),
              let draft = NoteDraft(text: "Boom in shot", frame: "120").target(fileId: fileId),
              case .dispatch(let addNote) = Presentation.command(.addNote, target: draft),
              case .dispatch(let circle) = Presentation.command(.toggleCircle, target: .file(fileId))
        else { return XCTFail("the take-log commands") }
        vm.dispatch(action: logTake)
        vm.dispatch(action: addNote)
        vm.dispatch(action: circle)
        view = try await waitForView("the mark, the circle and three notes", in: rec) {
            guard let c = clip($0) else { return false }
            return c.scene == "12A" && c.take == "3" && c.circled && c.notes.count == 3
        }
        c = try XCTUnwrap(clip(view))
        XCTAssertNil(view.alert)
        XCTAssertTrue(c.isLogged)
        XCTAssertFalse(TakeForm(c).changes(c))
        XCTAssertTrue(c.title.contains("12A") && c.title.contains("3"), c.title)
        XCTAssertEqual(c.circleSymbol, "largecircle.fill.circle")
        let boom = try XCTUnwrap(c.notes.first { $0.text == "Boom in shot" })
        XCTAssertEqual(boom.frame, 120)
        XCTAssertEqual(Set(c.notes.map(\.stateId)), ["waiting"], "nothing is sent before the clip has an asset")
        XCTAssertTrue(c.notes.allSatisfy { !$0.detail.isEmpty && $0.actions.isEmpty })
        XCTAssertEqual(view.takeLog.waiting, 3)
        XCTAssertEqual(Presentation.takeLog(view.takeLog).summaryTone, .caution)

        // Pair (the script approves the code): the clip uploads, then its notes are sent.
        vm.dispatch(action: .pair)
        _ = try await waitForView("paired", in: rec, seconds: 40) { self.state($0) == "connected" }
        view = try await waitForView("every note sent", in: rec, seconds: 90) {
            guard let c = clip($0) else { return false }
            return c.notes.count == 3 && c.notes.allSatisfy { $0.stateId == "sent" }
        }
        XCTAssertEqual(view.takeLog.waiting, 0)
        XCTAssertEqual(Presentation.takeLog(view.takeLog).summaryTone, .positive)
        XCTAssertTrue(Presentation.takeLog(view.takeLog).canTrigger, "triggers once connected")
        await holder.shutdown()
    }
}

extension MemoryStore {
    func get(anyKeyWithPrefix prefix: String) -> Bool {
        // The engine stores one entry per client id; its key starts with `prefix`.
        keys.contains { $0.hasPrefix(prefix) }
    }
}
