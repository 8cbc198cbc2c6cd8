// The iOS side of shared-ui-spec: every state id and action id listed in spec.json is mapped by
// TakeupKit's Presentation, and the mapping sends the action the spec names. Fails when the spec
// gains a state, section, row state, notice, enum value or action the app does not map (a new
// case in the generated enums already fails to compile in Presentation's exhaustive switches).
import Foundation
import Takeup
import XCTest

@testable import TakeupKit

/// shared-ui-spec/spec.json: from TAKEUP_UI_SPEC (scripts/test-swift.sh stages it), else from the
/// checkout this file is in (a Mac: ios/TakeupKit/Tests/TakeupKitTests/ → the repository root).
func loadSpec() throws -> [String: Any] {
    let url = try testInput(env: "TAKEUP_UI_SPEC", relative: "../../../../shared-ui-spec/spec.json")
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    return try XCTUnwrap(object as? [String: Any], "spec.json is not an object")
}

private func dict(_ any: Any?, _ what: String) throws -> [String: Any] {
    try XCTUnwrap(any as? [String: Any], "spec: \(what) is not an object")
}

private func strings(_ any: Any?, _ what: String) throws -> [String] {
    try XCTUnwrap(any as? [String], "spec: \(what) is not a list of strings")
}

/// `chooseAccount` → `choose_account`.
func snakeCase(_ s: String) -> String {
    var out = ""
    for c in s {
        if c.isUppercase {
            out += "_" + c.lowercased()
        } else {
            out.append(c)
        }
    }
    return out
}

/// The case name of a UiAction (`setMode`), with or without a payload.
func caseName(_ action: UiAction) -> String {
    Mirror(reflecting: action).children.first?.label ?? String(describing: action)
}

// One value of every case, as the engine could send it.
enum Samples {
    static let user = UserView(name: "Dana Reyes", email: "dana@example.com",
                               avatarUrl: "https://example.com/a.png", initials: "DR")
    static let account = AccountItem(id: "acc-1", name: "Testbed Films")
    static let project = ProjectItem(id: "prj-1", name: "Testbed")

    static let connection: [ConnectionView] = [
        .notAuthorized(message: nil),
        .notAuthorized(message: "This device was removed in Frame.io."),
        .requestingCode,
        .showingCode(userCode: "ABC123", verificationUri: "https://frame.io/c2c",
                     verificationUriComplete: "https://frame.io/c2c?code=ABC123",
                     qrContent: "https://frame.io/c2c?code=ABC123", expiresAtMs: 1_700_000_300_000,
                     expiresInSecs: 300, deviceName: "Dana's iPhone", attempt: 1),
        .authorizing,
        .notConnected(user: user, method: .account),
        .loadingAccounts(user: user),
        .choosingAccount(user: user, accounts: [account]),
        .noC2cAccounts(user: user, helpUrl: "https://help.frame.io/c2c"),
        .loadingProjects(user: user, account: account),
        .choosingProject(user: user, account: account, query: "test", projects: [project], total: 12),
        .connecting(user: user, projectName: "Testbed"),
        .connected(user: user, project: project, deviceName: "Dana's iPhone", method: .account),
        .failed(user: nil, message: "The network is unreachable."),
        // (appended: the indices above are used by the tests)
        signingIn,
        .notConnected(user: user, method: .deviceCode),
        .connected(user: user, project: project, deviceName: "Dana's iPhone", method: .deviceCode),
    ]

    static let signingIn = ConnectionView.signingIn(
        authorizationUrl: "https://applications.frame.io/oauth2/auth?response_type=code&client_id=app&state=s")
    static let methods: [SignInMethod] = [.deviceCode, .account]

    static let network: [NetworkView] = [
        .offline(connectionType: .wifi, label: "Offline: uploads resume when the network is back"),
        .online(connectionType: .cellular, health: .fair, label: "Cellular · fair · 12 Mbit/s",
                throughputBps: 12e6, latencyMs: 80),
    ]

    static let banners: [QueueBanner] = [
        .empty,
        .uploading(filesRemaining: 3, bytesRemaining: 12_345_678, rate: "48 Mbit/s"),
        .waiting(reason: .offline, message: "Waiting for the network", filesRemaining: 2),
        .awaitingSelection(count: 4),
        .allDone(completed: 5, failed: 1),
    ]

    static let rowStates: [RowState] = [
        .awaitingSelection, .queued, .waitingToRetry, .uploading, .recording, .completed, .failed,
        .skipped, .cancelled,
    ]

    static func row(_ state: RowState, id: Int64 = 7) -> FileRow {
        FileRow(id: id, name: "A001_C00\(id).mov", kind: .proxy, state: state, detail: "1.00 MB of 7.34 MB",
                progress: state == .uploading ? 0.42 : nil, size: 7_340_032, uploadedBytes: 1_000_000,
                reason: state == .failed ? "server error" : nil, selected: false, actions: [])
    }

    static let sections: [SectionKind] = [.uploading, .queued, .awaitingSelection, .failed, .completed, .cancelled]
    static let notices: [Notice] = [.devicePaused(message: "The device is paused in Frame.io.")]
    static let holdReasons: [HoldReason] = [.pausedByUser, .offline, .notAuthorized, .notConnected, .suspended, .insecure]
    static let connectionTypes: [ConnectionType] = [.wifi, .cellular, .ethernet, .unknown]
    static let health: [Health] = [.unknown, .good, .fair, .poor]
    static let kinds: [AssetKind] = [.proxy, .hero, .audio, .other]
    static let modes: [QueueMode] = [.auto, .manual]
}

final class SpecCoverageTests: XCTestCase {
    private var spec: [String: Any] = [:]
    private var screens: [String: Any] = [:]

    override func setUpWithError() throws {
        spec = try loadSpec()  // a missing spec fails every test here
        screens = try dict(spec["screens"], "screens")
    }

    private func stateIds(_ screen: String) throws -> Set<String> {
        let s = try dict(screens[screen], screen)
        return Set(try dict(s["states"], "\(screen).states").keys)
    }

    private func assertSame(_ mapped: [String], _ listed: Set<String>, _ what: String,
                            line: UInt = #line) {
        let m = Set(mapped)
        XCTAssertEqual(m.count, mapped.count, "\(what): one id mapped twice: \(mapped.sorted())", line: line)
        XCTAssertEqual(listed.subtracting(m).sorted(), [], "\(what) in the spec that the iOS app does not map", line: line)
        XCTAssertEqual(m.subtracting(listed).sorted(), [], "\(what) mapped by the iOS app but not in the spec", line: line)
    }

    func testEveryConnectionStateIsMapped() throws {
        let ids = Samples.connection.map { Presentation.connection($0).stateId }
        assertSame(Array(Set(ids)), try stateIds("connection"), "connection states")
        for view in Samples.connection {
            let p = Presentation.connection(view)
            XCTAssertFalse(p.title.isEmpty, p.stateId)
        }
    }

    func testEveryNetworkBannerRowSectionAndNoticeStateIsMapped() throws {
        assertSame(Samples.network.map { Presentation.network($0).stateId }, try stateIds("network"), "network states")
        assertSame(Samples.banners.map { Presentation.banner($0).stateId }, try stateIds("queue_banner"), "queue banners")
        assertSame(Samples.rowStates.map { Presentation.row(Samples.row($0)).stateId }, try stateIds("file_row"), "row states")
        assertSame(Samples.rowStates.map(Presentation.rowStateId), try stateIds("file_row"), "row state ids")
        assertSame(Samples.notices.map { Presentation.notice($0).stateId }, try stateIds("notice"), "notices")
        let queue = try dict(screens["queue"], "queue")
        let sections = try strings(queue["sections"], "queue.sections")
        // Sections also in the spec's order (the order the screen shows them).
        XCTAssertEqual(Samples.sections.map { Presentation.section($0).stateId }, sections, "queue sections")
    }

    func testEveryEnumValueIsMapped() throws {
        let enums = try dict(spec["enums"], "enums")
        func listed(_ name: String) throws -> Set<String> { Set(try strings(enums[name], "enums.\(name)")) }
        assertSame(Samples.connectionTypes.map(Presentation.connectionTypeId), try listed("connection_type"), "connection types")
        assertSame(Samples.health.map(Presentation.healthId), try listed("health"), "health values")
        assertSame(Samples.holdReasons.map(Presentation.holdReasonId), try listed("hold_reason"), "hold reasons")
        assertSame(Samples.kinds.map(Presentation.kindId), try listed("asset_kind"), "asset kinds")
        assertSame(Samples.modes.map(Presentation.modeId), try listed("queue_mode"), "queue modes")
        assertSame(Samples.methods.map(Presentation.methodId), try listed("sign_in_method"), "sign-in methods")
        for m in Samples.methods { XCTAssertFalse(Presentation.methodName(m).isEmpty) }
    }

    func testEveryActionIsMappedAndSendsWhatTheSpecSays() throws {
        let actions = try dict(spec["actions"], "actions")
        assertSame(Presentation.allActionKinds.map(Presentation.actionId), Set(actions.keys), "actions")

        let showing = Samples.connection[3]
        let noAccess = Samples.connection[8]
        for kind in Presentation.allActionKinds {
            let id = Presentation.actionId(kind)
            guard let entry = actions[id] as? [String: Any] else { continue }  // reported above
            XCTAssertFalse(Presentation.action(kind).title.isEmpty, id)
            if entry["app"] as? Bool == true {
                // The app's own: opens a URL from the screen it is offered on (the sign-in page
                // in an authentication session).
                let where_ = kind == .openHelp ? noAccess : kind == .openSignIn ? Samples.signingIn : showing
                let url: URL
                switch Presentation.command(kind, connection: where_) {
                case .open(let u) where kind != .openSignIn: url = u
                case .signIn(let u) where kind == .openSignIn: url = u
                default: XCTFail("\(id): expected a URL to open"); continue
                }
                XCTAssertEqual(url.scheme, "https", id)
                XCTAssertEqual(Presentation.command(kind, connection: .requestingCode), .unavailable, id)
                continue
            }
            // A dispatched action: build its target from the spec's parameter.
            let params = (entry["params"] as? [String: Any]) ?? [:]
            var target = ActionTarget.none
            for (name, type) in params {
                switch (name, type as? String) {
                case ("id", "int"?): target = .file(7)
                case ("account_id", "string"?): target = .account("acc-1")
                case ("project_id", "string"?): target = .project("prj-1")
                case ("query", "string"?): target = .query("test")
                case ("redirect_url", "string"?): target = .redirect("io.takeup.app:/oauth2redirect?code=c&state=s")
                case ("mode", "queue_mode"?): break  // fixed by the action (set_auto / set_manual)
                default: XCTFail("\(id): parameter \(name): \(String(describing: type)) is not mapped")
                }
            }
            guard case .dispatch(let action) = Presentation.command(kind, target: target) else {
                XCTFail("\(id): expected a UiAction"); continue
            }
            let expected = (entry["dispatch"] as? String) ?? id
            XCTAssertEqual(snakeCase(caseName(action)), expected, "\(id) dispatches the wrong action")
            if target != .none {
                XCTAssertEqual(Presentation.command(kind), .unavailable, "\(id) without its \(target)")
            }
        }
        XCTAssertEqual(Presentation.command(.setAuto), .dispatch(.setMode(mode: .auto)))
        XCTAssertEqual(Presentation.command(.setManual), .dispatch(.setMode(mode: .manual)))
    }

    func testActionsOfferedByEachStateAreKnown() throws {
        let known = Set(Presentation.allActionKinds.map(Presentation.actionId))
        for screen in ["connection", "file_row", "network", "queue_banner", "notice"] {
            let states = try dict(try dict(screens[screen], screen)["states"], "\(screen).states")
            for (state, body) in states {
                let acts = try strings(try dict(body, "\(screen).\(state)")["actions"], "\(screen).\(state).actions")
                XCTAssertEqual(Set(acts).subtracting(known).sorted(), [], "\(screen).\(state) offers unknown actions")
            }
        }
        let queue = try strings(try dict(screens["queue"], "queue")["actions"], "queue.actions")
        XCTAssertEqual(Set(queue).subtracting(known).sorted(), [], "queue offers unknown actions")
    }

    func testAppViewFieldsAreAllRendered() throws {
        // What the app's root view draws (TakeupApp/ContentView.swift). A new field in the spec
        // means a new thing to show: this fails until the app handles it.
        let rendered: Set<String> = ["connection", "connection_actions", "network", "queue", "notices", "alert"]
        let appView = try dict(spec["app_view"], "app_view")
        XCTAssertEqual(Set(try dict(appView["fields"], "app_view.fields").keys), rendered)
        let queueRendered: Set<String> = [
            "mode", "paused_by_user", "banner", "summary", "files_remaining", "bytes_remaining",
            "current", "sections", "selected_ids", "actions",
        ]
        XCTAssertEqual(Set(try dict(try dict(screens["queue"], "queue")["fields"], "queue.fields").keys), queueRendered)
    }
}
