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
    static let header = ConnectionHeader(title: "Connected", message: nil, busy: false, isError: false)

    static let connection: [ConnectionView] = [
        .notAuthorized(message: nil),
        .notAuthorized(message: "This device was removed in Frame.io."),
        .requestingCode,
        .showingCode(userCode: "ABC123", verificationUri: "https://frame.io/c2c",
                     verificationUriComplete: "https://frame.io/c2c?code=ABC123",
                     qrContent: "https://frame.io/c2c?code=ABC123", expiresAtMs: 1_700_000_300_000,
                     expiresInSecs: 300, deviceName: "Dana's iPhone", attempt: 1, linkText: "frame.io/c2c",
                     countdownText: "Expires in 5 min 00 s", attemptNote: nil),
        .authorizing,
        .notConnected(user: user, method: .account),
        .loadingAccounts(user: user),
        .choosingAccount(user: user, accounts: [account]),
        .noC2cAccounts(user: user, helpUrl: "https://help.frame.io/c2c"),
        .loadingProjects(user: user, account: account),
        .choosingProject(user: user, account: account, query: "test", projects: [project], total: 12,
                         countText: "1 of 12 projects", emptyText: nil),
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
        .offline(connectionType: .wifi, label: "Offline: uploads resume when the network is back", typeText: "Offline"),
        .online(connectionType: .cellular, typeText: "Cellular", health: .fair, label: "Cellular · fair · 12 Mbit/s",
                throughputBps: 12e6, latencyMs: 80),
    ]

    static let banners: [QueueBanner] = [
        .empty(title: "No uploads yet", detail: "Recorded media appears here."),
        .uploading(filesRemaining: 3, bytesRemaining: 12_345_678, rate: "48 Mbit/s", title: "Uploading 3 files",
                   detail: "12.3 MB remaining · 48 Mbit/s"),
        .waiting(reason: .offline, filesRemaining: 2, title: "Offline · 2 files waiting",
                 detail: "Offline: uploads resume when the network is back."),
        .awaitingSelection(count: 4, title: "4 files to choose from", detail: "Manual mode: select files to upload."),
        .allDone(completed: 5, failed: 1, title: "All done", detail: "5 files uploaded, 1 not uploaded"),
    ]

    static let rowStates: [RowState] = [
        .awaitingSelection, .queued, .waitingToRetry, .uploading, .recording, .completed, .failed,
        .skipped, .cancelled,
    ]

    static func row(_ state: RowState, id: Int64 = 7) -> FileRow {
        FileRow(id: id, name: "A001_C00\(id).mov", kind: .proxy, kindText: "Proxy", state: state,
                stateText: "State \(Presentation.rowStateId(state))", detail: "1.00 MB of 7.34 MB",
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
    static let noteStates: [NoteState] = [.waiting, .sent, .failed]

    static func note(_ state: NoteState, id: Int64 = 31, frame: UInt64? = nil) -> NoteRow {
        let detail: String
        switch state {
        case .waiting: detail = "Waits for the clip's upload to start"
        case .sent: detail = "Sent"
        case .failed: detail = "Not sent: refused by Frame.io"
        }
        return NoteRow(id: id, text: "Soft focus on the pull", frame: frame, state: state, detail: detail,
                       actions: state == .failed ? [.retryNote] : [])
    }

    static let clip = TakeClip(fileId: 7, clip: "A001_C007.mov", scene: "12A", take: "3", circled: true,
                               title: "Scene 12A · Take 3", detail: "3 notes · 1 waiting",
                               notes: noteStates.map { note($0, id: 40 + Int64(noteStates.firstIndex(of: $0)!)) },
                               actions: [.logTake, .toggleCircle, .addNote])
    static let takeLog = TakeLogView(
        clips: [clip], triggers: [NoteRow(id: 50, text: "Channel 1 · input 2", frame: nil, state: .sent,
                                          detail: "Sent", actions: [])],
        waiting: 1, summary: "1 note waiting to send", actions: [.addTrigger])
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
        let ids = Samples.connection.map(Presentation.connectionStateId)
        assertSame(Array(Set(ids)), try stateIds("connection"), "connection states")
        for view in Samples.connection {
            // The wording is the view's header, whatever the state.
            let header = ConnectionHeader(title: "T \(Presentation.connectionStateId(view))", message: "M",
                                          busy: true, isError: false)
            let p = Presentation.connection(view, header: header)
            XCTAssertEqual(p.stateId, Presentation.connectionStateId(view))
            XCTAssertEqual(p.title, header.title)
            XCTAssertEqual(p.message, "M")
            XCTAssertTrue(p.isBusy)
        }
    }

    func testEveryNetworkBannerRowSectionNoticeAndNoteStateIsMapped() throws {
        assertSame(Samples.network.map { Presentation.network($0).stateId }, try stateIds("network"), "network states")
        assertSame(Samples.banners.map { Presentation.banner($0).stateId }, try stateIds("queue_banner"), "queue banners")
        assertSame(Samples.rowStates.map { Presentation.row(Samples.row($0)).stateId }, try stateIds("file_row"), "row states")
        assertSame(Samples.rowStates.map(Presentation.rowStateId), try stateIds("file_row"), "row state ids")
        assertSame(Samples.notices.map { Presentation.notice($0).stateId }, try stateIds("notice"), "notices")
        assertSame(Samples.noteStates.map { Presentation.note(Samples.note($0)).stateId }, try stateIds("note_row"),
                   "note states")
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
        assertSame(Samples.noteStates.map(Presentation.noteStateId), try listed("note_state"), "note states")
    }

    /// A target for an action whose spec parameters are `params` (names, sorted).
    private func sampleTarget(_ kind: ActionKind, _ params: [String: Any]) -> ActionTarget? {
        let signature = params.map { "\($0.key):\($0.value as? String ?? "?")" }.sorted().joined(separator: ",")
        switch signature {
        case "": return ActionTarget.none
        case "mode:queue_mode": return ActionTarget.none  // fixed by the action (set_auto / set_manual)
        case "id:int": return kind == .retryNote ? .note(7) : .file(7)
        case "file_id:int": return .file(7)
        case "account_id:string": return .account("acc-1")
        case "project_id:string": return .project("prj-1")
        case "query:string": return .query("test")
        case "redirect_url:string": return .redirect("io.takeup.app:/oauth2redirect?code=c&state=s")
        case "circled:bool,file_id:int,scene:string,take:string":
            return .take(fileId: 7, scene: "12A", take: "3", circled: true)
        case "file_id:int,frame:int?,text:string": return .comment(fileId: 7, text: "Soft focus", frame: 120)
        case "channel:int,input:int": return .trigger(channel: 1, input: 2)
        default: return nil
        }
    }

    /// The parameter names (snake_case) a UiAction carries.
    private func payloadNames(_ action: UiAction) -> [String]? {
        guard let payload = Mirror(reflecting: action).children.first?.value else { return [] }
        let fields = Mirror(reflecting: payload)
        guard fields.displayStyle == .tuple else { return nil }  // one unlabelled value
        return fields.children.compactMap { $0.label.map(snakeCase) }.sorted()
    }

    func testEveryActionIsMappedAndSendsWhatTheSpecSays() throws {
        let actions = try dict(spec["actions"], "actions")
        assertSame(Presentation.allActionKinds.map(Presentation.actionId), Set(actions.keys), "actions")

        let showing = Samples.connection[3]
        let noAccess = Samples.connection[8]
        for kind in Presentation.allActionKinds {
            let id = Presentation.actionId(kind)
            guard let entry = actions[id] as? [String: Any] else { continue }  // reported above
            XCTAssertEqual(Presentation.action(kind).title, actionLabel(kind: kind), id)
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
            // A dispatched action: build its target from the spec's parameters.
            let params = (entry["params"] as? [String: Any]) ?? [:]
            guard let target = sampleTarget(kind, params) else {
                XCTFail("\(id): parameters \(params) are not mapped"); continue
            }
            guard case .dispatch(let action) = Presentation.command(kind, target: target) else {
                XCTFail("\(id): expected a UiAction"); continue
            }
            let expected = (entry["dispatch"] as? String) ?? id
            XCTAssertEqual(snakeCase(caseName(action)), expected, "\(id) dispatches the wrong action")
            // It carries the spec's parameters (a single one is unlabelled in a Mirror).
            if let names = payloadNames(action) {
                XCTAssertEqual(names, params.keys.sorted(), "\(id) carries other parameters than the spec's")
            } else {
                XCTAssertEqual(params.count, 1, "\(id) carries one parameter")
            }
            if target != .none {
                XCTAssertEqual(Presentation.command(kind), .unavailable, "\(id) without its \(target)")
            }
        }
        XCTAssertEqual(Presentation.command(.setAuto), .dispatch(.setMode(mode: .auto)))
        XCTAssertEqual(Presentation.command(.setManual), .dispatch(.setMode(mode: .manual)))
        // A note id is not a file id, nor the other way round.
        XCTAssertEqual(Presentation.command(.retryNote, target: .file(7)), .unavailable)
        XCTAssertEqual(Presentation.command(.toggleCircle, target: .note(7)), .unavailable)
    }

    func testActionsOfferedByEachStateAreKnown() throws {
        let known = Set(Presentation.allActionKinds.map(Presentation.actionId))
        for screen in ["connection", "file_row", "network", "queue_banner", "notice", "note_row"] {
            let states = try dict(try dict(screens[screen], screen)["states"], "\(screen).states")
            for (state, body) in states {
                let acts = try strings(try dict(body, "\(screen).\(state)")["actions"], "\(screen).\(state).actions")
                XCTAssertEqual(Set(acts).subtracting(known).sorted(), [], "\(screen).\(state) offers unknown actions")
            }
        }
        for screen in ["queue", "take_log", "take_clip"] {
            let acts = try strings(try dict(screens[screen], screen)["actions"], "\(screen).actions")
            XCTAssertEqual(Set(acts).subtracting(known).sorted(), [], "\(screen) offers unknown actions")
        }
        // The take-log screen draws a control for each of its actions (TakeLogScreen).
        let drawn: [String: Set<ActionKind>] = [
            "take_log": [.addTrigger], "take_clip": [.logTake, .toggleCircle, .addNote],
        ]
        for (screen, kinds) in drawn {
            let acts = try strings(try dict(screens[screen], screen)["actions"], "\(screen).actions")
            XCTAssertEqual(Set(acts), Set(kinds.map(Presentation.actionId)), "\(screen): actions the app draws")
        }
        let failed = try dict(try dict(try dict(screens["note_row"], "note_row")["states"], "note_row.states")["failed"],
                              "note_row.failed")
        XCTAssertEqual(try strings(failed["actions"], "note_row.failed.actions"), ["retry_note"])
    }

    func testAppViewFieldsAreAllRendered() throws {
        // What the app draws (TakeupApp: ContentView, ConnectionScreen, QueueScreen, TakeLogScreen).
        // A new field in the spec means a new thing to show: this fails until the app handles it.
        func fields(_ screen: String) throws -> Set<String> {
            Set(try dict(try dict(screens[screen], screen)["fields"], "\(screen).fields").keys)
        }
        let rendered: Set<String> = [
            "connection", "connection_header", "connection_actions", "network", "queue", "notices", "alert",
            "take_log",
        ]
        let appView = try dict(spec["app_view"], "app_view")
        XCTAssertEqual(Set(try dict(appView["fields"], "app_view.fields").keys), rendered)
        XCTAssertEqual(try fields("queue"), [
            "mode", "mode_text", "paused_by_user", "banner", "summary", "files_remaining", "bytes_remaining",
            "current", "sections", "selected_ids", "selection_text", "actions",
        ])
        XCTAssertEqual(try fields("take_log"), ["clips", "triggers", "waiting", "summary", "actions"])
        XCTAssertEqual(try fields("take_clip"), [
            "file_id", "clip", "scene", "take", "circled", "title", "detail", "notes", "actions",
        ])
        XCTAssertEqual(try fields("note_row"), ["id", "text", "frame", "state", "detail", "actions"])
        let records = try dict(spec["records"], "records")
        XCTAssertEqual(Set(try dict(records["connection_header"], "connection_header").keys),
                       ["title", "message", "busy", "is_error"])
    }
}
