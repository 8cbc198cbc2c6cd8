// How the engine's view model (shared-ui-spec/spec.json; `TakeupEngine.viewModel()`) is presented:
// the spec id of every state, symbols (SF Symbols names), tones, button roles, and what each action
// does when tapped. Plain Swift, no SwiftUI: the SwiftUI app (ios/TakeupApp) draws these;
// scripts/test-swift.sh checks on Linux that every state and action id of the spec is mapped here
// (SpecCoverageTests).
//
// Every word comes from the view model: headings and sentences from the view, control labels from
// `actionLabel(kind:)`. What is added here is layout: ids, symbols, tones, roles, which control a
// state shows.
import Foundation
import Takeup

/// A colour role; the app maps it to its palette.
public enum Tone: String, Sendable, Equatable {
    case neutral, accent, positive, caution, critical
}

/// How a button for an action looks.
public enum ActionRole: Sendable, Equatable {
    case standard
    /// The screen's main call to action (prominent button).
    case primary
    /// Backs out (SwiftUI `ButtonRole.cancel`).
    case cancel
    /// Loses something: a connection, a sign-in, an upload (SwiftUI `ButtonRole.destructive`).
    case destructive
}

public struct ConnectionPresentation: Sendable, Equatable {
    /// The spec's state id (`shared-ui-spec/spec.json`, screens.connection.states).
    public var stateId: String
    /// The view's `connection_header`.
    public var title: String
    public var message: String?
    /// Show a progress indicator (a step is running).
    public var isBusy: Bool
    /// Who is signed in, when known.
    public var user: UserView?
    public var tone: Tone
    public var symbol: String
}

public struct NetworkBadge: Sendable, Equatable {
    public var stateId: String
    /// The view's `type_text`: `Wi-Fi`, `Cellular`, `Offline`...
    public var title: String
    /// The view model's label (type, health, speed, latency).
    public var detail: String
    public var symbol: String
    public var tone: Tone
    public var isOnline: Bool
}

public struct BannerPresentation: Sendable, Equatable {
    public var stateId: String
    public var title: String
    public var detail: String
    public var symbol: String
    public var tone: Tone
}

public struct RowPresentation: Sendable, Equatable {
    public var stateId: String
    /// The view's `state_text`: `Queued`, `Uploading`, `Failed`...
    public var status: String
    /// The view model's detail line (bytes, rate, reason).
    public var detail: String
    public var symbol: String
    public var tone: Tone
    /// Upload progress in 0...1 when known; `showsProgress` with nil: indeterminate (recording).
    public var progress: Double?
    public var showsProgress: Bool
    /// A selection checkbox (manual mode, awaiting selection).
    public var showsCheckbox: Bool
    /// The view's `kind_text`: `Proxy`, `Hero`...
    public var kind: String
}

public struct SectionPresentation: Sendable, Equatable {
    public var stateId: String
    public var symbol: String
}

public struct NoticePresentation: Sendable, Equatable {
    public var stateId: String
    public var message: String
    public var symbol: String
    public var tone: Tone
}

public struct ActionPresentation: Sendable, Equatable {
    /// The spec's action id (`shared-ui-spec/spec.json`, actions).
    public var id: String
    /// `actionLabel(kind:)`: the one wording of both apps.
    public var title: String
    public var symbol: String
    public var role: ActionRole
}

/// What an action needs besides its kind.
public enum ActionTarget: Sendable, Equatable {
    case none
    /// A queued file (`id` of a row, `file_id` of `toggle_circle`).
    case file(Int64)
    case account(String)
    case project(String)
    case query(String)
    /// The URL the sign-in page sent the browser back to (`complete_sign_in`).
    case redirect(String)
    /// A take-log note (`retry_note`).
    case note(Int64)
    /// A clip's take mark (`log_take`): see `TakeForm`.
    case take(fileId: Int64, scene: String, take: String, circled: Bool)
    /// A note on a clip (`add_note`): see `NoteDraft`.
    case comment(fileId: Int64, text: String, frame: UInt64?)
    /// A real-time logging trigger (`add_trigger`) on input `input` of channel `channel`.
    case trigger(channel: UInt32, input: UInt32)
}

/// What tapping an action does.
public enum ActionCommand: Sendable, Equatable {
    /// Send to the view model: `viewModel.dispatch(action:)`.
    case dispatch(UiAction)
    /// The app's own: open this URL (`open_verification_link`, `open_help`).
    case open(URL)
    /// The app's own: sign in on this page in an `ASWebAuthenticationSession` (`open_sign_in`);
    /// the URL it ends on goes back as `complete_sign_in`.
    case signIn(URL)
    /// Missing its target (or no URL to open): offer nothing.
    case unavailable
}

public enum Presentation {
    // MARK: connection manager

    /// The connection manager's state: wording from the view's `connection_header`, the rest
    /// (id, symbol, tone, user) from the state.
    public static func connection(_ view: ConnectionView, header: ConnectionHeader) -> ConnectionPresentation {
        let (id, symbol, tone, user) = connectionLayout(view)
        return ConnectionPresentation(stateId: id, title: header.title, message: header.message,
                                      isBusy: header.busy, user: user,
                                      tone: header.isError ? .critical : tone, symbol: symbol)
    }

    public static func connection(_ app: AppView) -> ConnectionPresentation {
        connection(app.connection, header: app.connectionHeader)
    }

    /// The spec's state id of a connection view.
    public static func connectionStateId(_ view: ConnectionView) -> String { connectionLayout(view).id }

    private static func connectionLayout(_ view: ConnectionView)
        -> (id: String, symbol: String, tone: Tone, user: UserView?) {
        switch view {
        case .notAuthorized(let message):
            return ("not_authorized", "link.badge.plus", message == nil ? .neutral : .caution, nil)
        case .signingIn: return ("signing_in", "person.badge.key", .accent, nil)
        case .requestingCode: return ("requesting_code", "qrcode", .neutral, nil)
        case .showingCode: return ("showing_code", "qrcode", .accent, nil)
        case .authorizing: return ("authorizing", "person.badge.key", .neutral, nil)
        case .notConnected(let user, _): return ("not_connected", "folder.badge.questionmark", .caution, user)
        case .loadingAccounts(let user): return ("loading_accounts", "person.2", .neutral, user)
        case .choosingAccount(let user, _): return ("choosing_account", "person.2", .neutral, user)
        case .noC2cAccounts(let user, _): return ("no_c2c_accounts", "exclamationmark.triangle", .caution, user)
        case .loadingProjects(let user, _): return ("loading_projects", "folder", .neutral, user)
        case .choosingProject(let user, _, _, _, _, _, _): return ("choosing_project", "folder", .neutral, user)
        case .connecting(let user, _): return ("connecting", "link", .neutral, user)
        case .connected(let user, _, _, _): return ("connected", "checkmark.circle.fill", .positive, user)
        case .failed(let user, _): return ("failed", "exclamationmark.octagon", .critical, user)
        }
    }

    /// The link of `open_verification_link`: the complete URI (code included) if any, else the
    /// plain one; the QR code shows `qr_content`, the button `link_text`.
    public static func verificationLink(_ view: ConnectionView) -> URL? {
        guard case .showingCode(_, let uri, let complete, _, _, _, _, _, _, _, _) = view else { return nil }
        return (complete ?? uri).flatMap(httpsURL)
    }

    /// The page of `open_sign_in` (web pages only).
    public static func signInPage(_ view: ConnectionView) -> URL? {
        guard case .signingIn(let url) = view else { return nil }
        return httpsURL(url)
    }

    /// `io.takeup.app` of `io.takeup.app:/oauth2redirect`: the callback scheme an
    /// `ASWebAuthenticationSession` waits for (nil for a web redirect).
    public static func callbackScheme(redirectUri: String) -> String? {
        guard let scheme = URL(string: redirectUri)?.scheme?.lowercased(),
              scheme != "http", scheme != "https"
        else { return nil }
        return scheme
    }

    public static func methodId(_ m: SignInMethod) -> String {
        switch m {
        case .deviceCode: return "device_code"
        case .account: return "account"
        }
    }

    /// The link of `open_help`.
    public static func helpLink(_ view: ConnectionView) -> URL? {
        guard case .noC2cAccounts(_, let helpUrl) = view else { return nil }
        return httpsURL(helpUrl)
    }

    /// Only http(s) links leave the app (never a scheme a hostile server might send).
    static func httpsURL(_ s: String) -> URL? {
        guard let url = URL(string: s), let scheme = url.scheme?.lowercased(),
              scheme == "https" || scheme == "http", url.host != nil
        else { return nil }
        return url
    }

    // MARK: network

    public static func network(_ view: NetworkView) -> NetworkBadge {
        switch view {
        case .offline(_, let label, let typeText):
            return NetworkBadge(stateId: "offline", title: typeText, detail: label,
                                symbol: "wifi.slash", tone: .critical, isOnline: false)
        case .online(let type, let typeText, let health, let label, _, _):
            return NetworkBadge(stateId: "online", title: typeText, detail: label,
                                symbol: connectionTypeSymbol(type), tone: tone(health), isOnline: true)
        }
    }

    public static func connectionTypeId(_ t: ConnectionType) -> String {
        switch t {
        case .wifi: return "wifi"
        case .cellular: return "cellular"
        case .ethernet: return "ethernet"
        case .unknown: return "unknown"
        }
    }

    public static func connectionTypeSymbol(_ t: ConnectionType) -> String {
        switch t {
        case .wifi: return "wifi"
        case .cellular: return "antenna.radiowaves.left.and.right"
        case .ethernet: return "cable.connector"
        case .unknown: return "network"
        }
    }

    public static func healthId(_ h: Health) -> String {
        switch h {
        case .unknown: return "unknown"
        case .good: return "good"
        case .fair: return "fair"
        case .poor: return "poor"
        }
    }

    public static func tone(_ h: Health) -> Tone {
        switch h {
        case .unknown: return .neutral
        case .good: return .positive
        case .fair: return .caution
        case .poor: return .critical
        }
    }

    // MARK: queue

    public static func banner(_ banner: QueueBanner) -> BannerPresentation {
        func b(_ id: String, _ title: String, _ detail: String, _ symbol: String, _ tone: Tone) -> BannerPresentation {
            BannerPresentation(stateId: id, title: title, detail: detail, symbol: symbol, tone: tone)
        }
        switch banner {
        case .empty(let title, let detail):
            return b("empty", title, detail, "tray", .neutral)
        case .uploading(_, _, _, let title, let detail):
            return b("uploading", title, detail, "arrow.up.circle", .accent)
        case .waiting(let reason, _, let title, let detail):
            return b("waiting", title, detail, holdSymbol(reason), .caution)
        case .awaitingSelection(_, let title, let detail):
            return b("awaiting_selection", title, detail, "checklist", .accent)
        case .allDone(_, let failed, let title, let detail):
            return b("all_done", title, detail, failed == 0 ? "checkmark.circle" : "exclamationmark.circle",
                     failed == 0 ? .positive : .critical)
        }
    }

    public static func holdReasonId(_ r: HoldReason) -> String {
        switch r {
        case .pausedByUser: return "paused_by_user"
        case .offline: return "offline"
        case .notAuthorized: return "not_authorized"
        case .notConnected: return "not_connected"
        case .suspended: return "suspended"
        case .insecure: return "insecure"
        }
    }

    static func holdSymbol(_ r: HoldReason) -> String {
        switch r {
        case .pausedByUser: return "pause.circle"
        case .offline: return "wifi.slash"
        case .notAuthorized: return "person.crop.circle.badge.exclamationmark"
        case .notConnected: return "folder.badge.questionmark"
        case .suspended: return "moon.zzz"
        case .insecure: return "lock.trianglebadge.exclamationmark"
        }
    }

    public static func row(_ row: FileRow) -> RowPresentation {
        func r(_ id: String, _ symbol: String, _ tone: Tone, progress: Bool = false,
               checkbox: Bool = false) -> RowPresentation {
            RowPresentation(stateId: id, status: row.stateText, detail: row.detail, symbol: symbol, tone: tone,
                            progress: progress ? row.progress.map { min(1, max(0, $0)) } : nil,
                            showsProgress: progress, showsCheckbox: checkbox, kind: row.kindText)
        }
        switch row.state {
        case .awaitingSelection:
            return r("awaiting_selection", row.selected ? "checkmark.circle.fill" : "circle", .neutral, checkbox: true)
        case .queued: return r("queued", "clock", .neutral)
        case .waitingToRetry: return r("waiting_to_retry", "arrow.clockwise.circle", .caution)
        case .uploading: return r("uploading", "arrow.up.circle", .accent, progress: true)
        case .recording: return r("recording", "record.circle", .accent, progress: true)
        case .completed: return r("completed", "checkmark.circle.fill", .positive)
        case .failed: return r("failed", "exclamationmark.circle.fill", .critical)
        case .skipped: return r("skipped", "pause.circle", .caution)
        case .cancelled: return r("cancelled", "xmark.circle", .neutral)
        }
    }

    public static func rowStateId(_ s: RowState) -> String {
        switch s {
        case .awaitingSelection: return "awaiting_selection"
        case .queued: return "queued"
        case .waitingToRetry: return "waiting_to_retry"
        case .uploading: return "uploading"
        case .recording: return "recording"
        case .completed: return "completed"
        case .failed: return "failed"
        case .skipped: return "skipped"
        case .cancelled: return "cancelled"
        }
    }

    public static func kindId(_ k: AssetKind) -> String {
        switch k {
        case .proxy: return "proxy"
        case .hero: return "hero"
        case .audio: return "audio"
        case .other: return "other"
        }
    }

    public static func modeId(_ m: QueueMode) -> String {
        switch m {
        case .auto: return "auto"
        case .manual: return "manual"
        }
    }

    public static func section(_ kind: SectionKind) -> SectionPresentation {
        switch kind {
        case .uploading: return SectionPresentation(stateId: "uploading", symbol: "arrow.up.circle")
        case .queued: return SectionPresentation(stateId: "queued", symbol: "clock")
        case .awaitingSelection: return SectionPresentation(stateId: "awaiting_selection", symbol: "checklist")
        case .failed: return SectionPresentation(stateId: "failed", symbol: "exclamationmark.circle")
        case .completed: return SectionPresentation(stateId: "completed", symbol: "checkmark.circle")
        case .cancelled: return SectionPresentation(stateId: "cancelled", symbol: "xmark.circle")
        }
    }

    public static func notice(_ notice: Notice) -> NoticePresentation {
        switch notice {
        case .devicePaused(let message):
            return NoticePresentation(stateId: "device_paused", message: message, symbol: "pause.circle.fill",
                                      tone: .caution)
        }
    }

    // MARK: actions

    /// Every action kind, in the spec's order. `actionId` is exhaustive, so a new kind fails to
    /// compile there; SpecCoverageTests checks this list against the spec.
    public static let allActionKinds: [ActionKind] = [
        .pair, .cancelPairing, .openVerificationLink, .signIn, .openSignIn, .completeSignIn,
        .cancelSignIn, .reloadAccounts, .chooseAccount, .openHelp,
        .backToAccounts, .searchProjects, .chooseProject, .cancelChange, .disconnect, .changeProject,
        .signOut, .refresh, .retry, .dismissError, .setAuto, .setManual, .pause, .resume, .cancelAll,
        .uploadSelected, .selectAll, .clearSelection, .toggleSelect, .moveToTop, .cancelFile, .retryFile,
        .logTake, .toggleCircle, .addNote, .retryNote, .addTrigger,
    ]

    public static func actionId(_ kind: ActionKind) -> String { action(kind).id }

    /// The button of an action: its label from the engine (`actionLabel(kind:)`), id, symbol and
    /// role. `connection`: the screen it is offered on (reloading the accounts is the main call of
    /// `not_connected`).
    public static func action(_ kind: ActionKind, on connection: ConnectionView? = nil) -> ActionPresentation {
        func a(_ id: String, _ symbol: String, _ role: ActionRole = .standard) -> ActionPresentation {
            ActionPresentation(id: id, title: actionLabel(kind: kind), symbol: symbol, role: role)
        }
        switch kind {
        case .pair: return a("pair", "qrcode", .primary)
        case .cancelPairing: return a("cancel_pairing", "xmark", .cancel)
        case .openVerificationLink: return a("open_verification_link", "safari")
        case .signIn: return a("sign_in", "person.badge.key", .primary)
        case .openSignIn: return a("open_sign_in", "safari", .primary)
        case .completeSignIn: return a("complete_sign_in", "checkmark")
        case .cancelSignIn: return a("cancel_sign_in", "xmark", .cancel)
        case .reloadAccounts:
            if case .notConnected? = connection { return a("reload_accounts", "folder", .primary) }
            return a("reload_accounts", "arrow.clockwise")
        case .chooseAccount: return a("choose_account", "person.2")
        case .openHelp: return a("open_help", "questionmark.circle")
        case .backToAccounts: return a("back_to_accounts", "chevron.backward")
        case .searchProjects: return a("search_projects", "magnifyingglass")
        case .chooseProject: return a("choose_project", "folder")
        case .cancelChange: return a("cancel_change", "xmark", .cancel)
        case .disconnect: return a("disconnect", "link.badge.minus", .destructive)
        case .changeProject: return a("change_project", "arrow.left.arrow.right")
        case .signOut: return a("sign_out", "rectangle.portrait.and.arrow.right", .destructive)
        case .refresh: return a("refresh", "arrow.clockwise")
        case .retry: return a("retry", "arrow.clockwise", .primary)
        case .dismissError: return a("dismiss_error", "xmark", .cancel)
        case .setAuto: return a("set_auto", "bolt")
        case .setManual: return a("set_manual", "hand.tap")
        case .pause: return a("pause", "pause.fill")
        case .resume: return a("resume", "play.fill", .primary)
        case .cancelAll: return a("cancel_all", "xmark.circle", .destructive)
        case .uploadSelected: return a("upload_selected", "arrow.up.circle", .primary)
        case .selectAll: return a("select_all", "checklist.checked")
        case .clearSelection: return a("clear_selection", "checklist.unchecked")
        case .toggleSelect: return a("toggle_select", "checkmark.circle")
        case .moveToTop: return a("move_to_top", "arrow.up.to.line")
        case .cancelFile: return a("cancel_file", "xmark.circle", .destructive)
        case .retryFile: return a("retry_file", "arrow.clockwise")
        case .logTake: return a("log_take", "square.and.pencil")
        case .toggleCircle: return a("toggle_circle", "largecircle.fill.circle")
        case .addNote: return a("add_note", "text.bubble", .primary)
        case .retryNote: return a("retry_note", "arrow.clockwise")
        case .addTrigger: return a("add_trigger", "bookmark", .primary)
        }
    }

    /// What tapping `kind` does. Actions with a parameter need their `target` (a file, a note, an
    /// account, a project, a search text, the take form, the note field, the trigger's channel);
    /// the app's own actions need the `connection` view their URL is in.
    public static func command(_ kind: ActionKind, target: ActionTarget = .none,
                               connection: ConnectionView? = nil) -> ActionCommand {
        func send(_ a: UiAction) -> ActionCommand { .dispatch(a) }
        switch (kind, target) {
        case (.pair, _): return send(.pair)
        case (.cancelPairing, _): return send(.cancelPairing)
        case (.openVerificationLink, _):
            return connection.flatMap(verificationLink).map(ActionCommand.open) ?? .unavailable
        case (.openHelp, _):
            return connection.flatMap(helpLink).map(ActionCommand.open) ?? .unavailable
        case (.signIn, _): return send(.signIn)
        case (.openSignIn, _):
            return connection.flatMap(signInPage).map(ActionCommand.signIn) ?? .unavailable
        case (.completeSignIn, .redirect(let url)): return send(.completeSignIn(redirectUrl: url))
        case (.cancelSignIn, _): return send(.cancelSignIn)
        case (.reloadAccounts, _): return send(.reloadAccounts)
        case (.chooseAccount, .account(let id)): return send(.chooseAccount(accountId: id))
        case (.backToAccounts, _): return send(.backToAccounts)
        case (.searchProjects, .query(let q)): return send(.searchProjects(query: q))
        case (.chooseProject, .project(let id)): return send(.chooseProject(projectId: id))
        case (.cancelChange, _): return send(.cancelChange)
        case (.disconnect, _): return send(.disconnect)
        case (.changeProject, _): return send(.changeProject)
        case (.signOut, _): return send(.signOut)
        case (.refresh, _): return send(.refresh)
        case (.retry, _): return send(.retry)
        case (.dismissError, _): return send(.dismissError)
        case (.setAuto, _): return send(.setMode(mode: .auto))
        case (.setManual, _): return send(.setMode(mode: .manual))
        case (.pause, _): return send(.pause)
        case (.resume, _): return send(.resume)
        case (.cancelAll, _): return send(.cancelAll)
        case (.uploadSelected, _): return send(.uploadSelected)
        case (.selectAll, _): return send(.selectAll)
        case (.clearSelection, _): return send(.clearSelection)
        case (.toggleSelect, .file(let id)): return send(.toggleSelect(id: id))
        case (.moveToTop, .file(let id)): return send(.moveToTop(id: id))
        case (.cancelFile, .file(let id)): return send(.cancelFile(id: id))
        case (.retryFile, .file(let id)): return send(.retryFile(id: id))
        case (.logTake, .take(let fileId, let scene, let take, let circled)):
            return send(.logTake(fileId: fileId, scene: scene, take: take, circled: circled))
        case (.toggleCircle, .file(let id)): return send(.toggleCircle(fileId: id))
        case (.addNote, .comment(let fileId, let text, let frame)):
            return send(.addNote(fileId: fileId, text: text, frame: frame))
        case (.retryNote, .note(let id)): return send(.retryNote(id: id))
        case (.addTrigger, .trigger(let channel, let input)): return send(.addTrigger(channel: channel, input: input))
        case (.chooseAccount, _), (.searchProjects, _), (.chooseProject, _), (.toggleSelect, _),
             (.moveToTop, _), (.cancelFile, _), (.retryFile, _), (.completeSignIn, _), (.logTake, _),
             (.toggleCircle, _), (.addNote, _), (.retryNote, _), (.addTrigger, _):
            return .unavailable
        }
    }

    /// The connection actions drawn as buttons: the others are part of a screen (picker rows,
    /// the search field, the link and help link).
    public static func buttonActions(_ kinds: [ActionKind]) -> [ActionKind] {
        kinds.filter {
            switch $0 {
            case .chooseAccount, .chooseProject, .searchProjects, .openVerificationLink, .openHelp,
                 .toggleSelect, .completeSignIn:
                return false
            default:
                return true
            }
        }
    }
}
