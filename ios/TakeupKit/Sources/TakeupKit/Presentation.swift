// How the engine's view model (shared-ui-spec/spec.json; `TakeupEngine.viewModel()`) is presented:
// the spec id of every state, headlines, symbols (SF Symbols names), tones, button titles and roles,
// and what each action does when tapped. Plain Swift, no SwiftUI: the SwiftUI app
// (ios/TakeupApp) draws these; scripts/test-swift.sh checks on Linux that every state and action
// id of the spec is mapped here (SpecCoverageTests).
//
// Texts the view model already sends (labels, summaries, row details, messages, section titles)
// are shown as they are; what is added here is what a screen needs around them.
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
    /// `Wi-Fi`, `Cellular`, `Ethernet`, `Online`, `Offline`.
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
    public var message: String?
    public var symbol: String
    public var tone: Tone
}

public struct RowPresentation: Sendable, Equatable {
    public var stateId: String
    /// Short status: `Queued`, `Uploading`, `Failed`...
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
    public var kind: String
}

public struct SectionPresentation: Sendable, Equatable {
    public var stateId: String
    /// Used when the view model's title is empty.
    public var defaultTitle: String
    public var symbol: String
}

public struct NoticePresentation: Sendable, Equatable {
    public var stateId: String
    public var title: String
    public var message: String
    public var symbol: String
    public var tone: Tone
}

public struct ActionPresentation: Sendable, Equatable {
    /// The spec's action id (`shared-ui-spec/spec.json`, actions).
    public var id: String
    public var title: String
    public var symbol: String
    public var role: ActionRole
}

/// What an action needs besides its kind.
public enum ActionTarget: Sendable, Equatable {
    case none
    case file(Int64)
    case account(String)
    case project(String)
    case query(String)
    /// The URL the sign-in page sent the browser back to (`complete_sign_in`).
    case redirect(String)
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

    public static func connection(_ view: ConnectionView) -> ConnectionPresentation {
        func p(_ id: String, _ title: String, _ message: String? = nil, busy: Bool = false,
               user: UserView? = nil, tone: Tone = .neutral, symbol: String) -> ConnectionPresentation {
            ConnectionPresentation(stateId: id, title: title, message: message, isBusy: busy,
                                   user: user, tone: tone, symbol: symbol)
        }
        switch view {
        case .notAuthorized(let message):
            return p("not_authorized", "Connect to Frame.io",
                     message ?? "Sign in with your Frame.io account, or pair this app with a code, to upload what you record to a project.",
                     tone: message == nil ? .neutral : .caution, symbol: "link.badge.plus")
        case .signingIn:
            return p("signing_in", "Sign in with Frame.io",
                     "Finish signing in on the Frame.io page; you come back here by yourself.",
                     busy: true, tone: .accent, symbol: "person.badge.key")
        case .requestingCode:
            return p("requesting_code", "Getting a pairing code…", busy: true, symbol: "qrcode")
        case .showingCode(let code, _, _, _, _, _, let device, let attempt):
            let device = device.map { " This device will appear as “\($0)”." } ?? ""
            let again = attempt > 1 ? "The previous code expired; this is a new one. " : ""
            return p("showing_code", "Pair with Frame.io",
                     "\(again)Scan the QR code or open the link on a signed-in device, then confirm code \(code).\(device)",
                     tone: .accent, symbol: "qrcode")
        case .authorizing:
            return p("authorizing", "Signing in…", "Approved in Frame.io: finishing the sign-in.",
                     busy: true, symbol: "person.badge.key")
        case .notConnected(let user, let method):
            switch method {
            case .account:
                return p("not_connected", "Choose a project",
                         "Signed in as \(user.name). Choose the project your uploads go to.",
                         user: user, tone: .caution, symbol: "folder.badge.questionmark")
            case .deviceCode:
                return p("not_connected", "No project",
                         "This device is paired but has no project. Pair it again and pick the project on Frame.io, or sign in with your Frame.io account.",
                         user: user, tone: .caution, symbol: "folder.badge.questionmark")
            }
        case .loadingAccounts(let user):
            return p("loading_accounts", "Loading accounts…", busy: true, user: user,
                     symbol: "person.2")
        case .choosingAccount(let user, let accounts):
            return p("choosing_account", "Choose an account",
                     accounts.count == 1 ? "1 account with Camera to Cloud" : "\(accounts.count) accounts with Camera to Cloud",
                     user: user, symbol: "person.2")
        case .noC2cAccounts(let user, _):
            return p("no_c2c_accounts", "No Camera to Cloud account",
                     "\(user.email) doesn't have access to any Camera to Cloud enabled accounts. Frame.io's help explains how to get access.",
                     user: user, tone: .caution, symbol: "exclamationmark.triangle")
        case .loadingProjects(let user, let account):
            return p("loading_projects", "Loading projects of \(account.name)…", busy: true,
                     user: user, symbol: "folder")
        case .choosingProject(let user, let account, let query, let projects, let total):
            let trimmed = query.trimmingCharacters(in: .whitespaces)
            let count = trimmed.isEmpty
                ? (total == 1 ? "1 project" : "\(total) projects")
                : "\(projects.count) of \(total) projects match “\(trimmed)”"
            return p("choosing_project", "Choose a project", "\(account.name) · \(count)",
                     user: user, symbol: "folder")
        case .connecting(let user, let projectName):
            return p("connecting", "Connecting to \(projectName)…", busy: true, user: user,
                     symbol: "link")
        case .connected(let user, let project, let deviceName, let method):
            let change = method == .deviceCode
                ? " Paired with a code: to change project, pair again or sign in with your Frame.io account."
                : ""
            return p("connected", project.name,
                     "Connected as \(deviceName): what you record uploads to this project.\(change)",
                     user: user, tone: .positive, symbol: "checkmark.circle.fill")
        case .failed(let user, let message):
            return p("failed", "Something went wrong", message, user: user, tone: .critical,
                     symbol: "exclamationmark.octagon")
        }
    }

    /// When the pairing code of a `showing_code` view expires.
    public static func expiry(expiresAtMs ms: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ms) / 1000)
    }

    /// `Code expires in 4:59`, or `Code expired: getting a new one…` (the view model requests a
    /// fresh code by itself).
    public static func codeCountdown(expiresAtMs ms: Int64, now: Date) -> String {
        let deadline = expiry(expiresAtMs: ms)
        return Format.secondsLeft(until: deadline, now: now) > 0
            ? "Code expires in \(Format.countdown(until: deadline, now: now))"
            : "Code expired: getting a new one…"
    }

    /// The link of `open_verification_link`: the complete URI (code included) if any, else the
    /// plain one; the QR code shows `qr_content`.
    public static func verificationLink(_ view: ConnectionView) -> URL? {
        guard case .showingCode(_, let uri, let complete, _, _, _, _, _) = view else { return nil }
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

    public static func methodName(_ m: SignInMethod) -> String {
        switch m {
        case .deviceCode: return "Paired with a code"
        case .account: return "Signed in with a Frame.io account"
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
        case .offline(_, let label):
            return NetworkBadge(stateId: "offline", title: "Offline", detail: label,
                                symbol: "wifi.slash", tone: .critical, isOnline: false)
        case .online(let type, let health, let label, _, _):
            return NetworkBadge(stateId: "online", title: connectionTypeName(type), detail: label,
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

    public static func connectionTypeName(_ t: ConnectionType) -> String {
        switch t {
        case .wifi: return "Wi-Fi"
        case .cellular: return "Cellular"
        case .ethernet: return "Ethernet"
        case .unknown: return "Online"
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
        switch banner {
        case .empty:
            return BannerPresentation(stateId: "empty", title: "No uploads yet",
                                      message: "Recorded files appear here and upload to the connected project.",
                                      symbol: "tray", tone: .neutral)
        case .uploading(let files, let bytes, let rate):
            return BannerPresentation(stateId: "uploading", title: "Uploading \(Format.count(files, "file"))",
                                      message: "\(Format.bytes(bytes)) left · \(rate)",
                                      symbol: "arrow.up.circle", tone: .accent)
        case .waiting(let reason, let message, let files):
            return BannerPresentation(stateId: "waiting", title: waitingTitle(reason),
                                      message: files > 0 ? "\(message) · \(Format.count(files, "file")) waiting" : message,
                                      symbol: holdSymbol(reason), tone: .caution)
        case .awaitingSelection(let count):
            return BannerPresentation(stateId: "awaiting_selection", title: "Choose what to upload",
                                      message: "\(Format.count(count, "file")) \(count == 1 ? "waits" : "wait") for your selection",
                                      symbol: "checklist", tone: .accent)
        case .allDone(let completed, let failed):
            return BannerPresentation(stateId: "all_done",
                                      title: failed == 0 ? "All uploaded" : "Finished with failures",
                                      message: failed == 0 ? "\(Format.count(completed, "file")) uploaded"
                                          : "\(completed) uploaded, \(failed) failed",
                                      symbol: failed == 0 ? "checkmark.circle" : "exclamationmark.circle",
                                      tone: failed == 0 ? .positive : .critical)
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

    static func waitingTitle(_ r: HoldReason) -> String {
        switch r {
        case .pausedByUser: return "Paused"
        case .offline: return "Waiting for the network"
        case .notAuthorized: return "Not connected to Frame.io"
        case .notConnected: return "No project chosen"
        case .suspended: return "Suspended by the system"
        case .insecure: return "No secure connection"
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
        func r(_ id: String, _ status: String, _ symbol: String, _ tone: Tone,
               progress: Bool = false, checkbox: Bool = false) -> RowPresentation {
            RowPresentation(stateId: id, status: status, detail: row.detail, symbol: symbol, tone: tone,
                            progress: progress ? row.progress.map { min(1, max(0, $0)) } : nil,
                            showsProgress: progress, showsCheckbox: checkbox, kind: kindName(row.kind))
        }
        switch row.state {
        case .awaitingSelection:
            return r("awaiting_selection", row.selected ? "Selected" : "Not selected", row.selected ? "checkmark.circle.fill" : "circle",
                     .neutral, checkbox: true)
        case .queued: return r("queued", "Queued", "clock", .neutral)
        case .waitingToRetry: return r("waiting_to_retry", "Retrying soon", "arrow.clockwise.circle", .caution)
        case .uploading: return r("uploading", "Uploading", "arrow.up.circle", .accent, progress: true)
        case .recording: return r("recording", "Recording", "record.circle", .accent, progress: true)
        case .completed: return r("completed", "Uploaded", "checkmark.circle.fill", .positive)
        case .failed: return r("failed", "Failed", "exclamationmark.circle.fill", .critical)
        case .skipped: return r("skipped", "Skipped", "pause.circle", .caution)
        case .cancelled: return r("cancelled", "Cancelled", "xmark.circle", .neutral)
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

    public static func kindName(_ k: AssetKind) -> String {
        switch k {
        case .proxy: return "Proxy"
        case .hero: return "Hero"
        case .audio: return "Audio"
        case .other: return "Other"
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
        case .uploading: return SectionPresentation(stateId: "uploading", defaultTitle: "Uploading", symbol: "arrow.up.circle")
        case .queued: return SectionPresentation(stateId: "queued", defaultTitle: "Queued", symbol: "clock")
        case .awaitingSelection: return SectionPresentation(stateId: "awaiting_selection", defaultTitle: "Waiting for selection", symbol: "checklist")
        case .failed: return SectionPresentation(stateId: "failed", defaultTitle: "Failed", symbol: "exclamationmark.circle")
        case .completed: return SectionPresentation(stateId: "completed", defaultTitle: "Completed", symbol: "checkmark.circle")
        case .cancelled: return SectionPresentation(stateId: "cancelled", defaultTitle: "Cancelled", symbol: "xmark.circle")
        }
    }

    public static func notice(_ notice: Notice) -> NoticePresentation {
        switch notice {
        case .devicePaused(let message):
            return NoticePresentation(stateId: "device_paused", title: "Device paused in Frame.io",
                                      message: message, symbol: "pause.circle.fill", tone: .caution)
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
    ]

    public static func actionId(_ kind: ActionKind) -> String { action(kind).id }

    /// The button of an action. `connection`: the screen it is offered on, for the few titles
    /// that depend on it.
    public static func action(_ kind: ActionKind, on connection: ConnectionView? = nil) -> ActionPresentation {
        func a(_ id: String, _ title: String, _ symbol: String, _ role: ActionRole = .standard) -> ActionPresentation {
            ActionPresentation(id: id, title: title, symbol: symbol, role: role)
        }
        switch kind {
        case .pair: return a("pair", "Pair with a code", "qrcode", .primary)
        case .cancelPairing: return a("cancel_pairing", "Cancel", "xmark", .cancel)
        case .openVerificationLink: return a("open_verification_link", "Open the pairing page", "safari")
        case .signIn: return a("sign_in", "Sign in with Frame.io", "person.badge.key", .primary)
        case .openSignIn: return a("open_sign_in", "Open the sign-in page", "safari", .primary)
        case .completeSignIn: return a("complete_sign_in", "Finish signing in", "checkmark")
        case .cancelSignIn: return a("cancel_sign_in", "Cancel", "xmark", .cancel)
        case .reloadAccounts:
            if case .notConnected? = connection { return a("reload_accounts", "Choose a project", "folder", .primary) }
            return a("reload_accounts", "Reload", "arrow.clockwise")
        case .chooseAccount: return a("choose_account", "Choose", "person.2")
        case .openHelp: return a("open_help", "Frame.io help", "questionmark.circle")
        case .backToAccounts: return a("back_to_accounts", "Accounts", "chevron.backward")
        case .searchProjects: return a("search_projects", "Search", "magnifyingglass")
        case .chooseProject: return a("choose_project", "Choose", "folder")
        case .cancelChange: return a("cancel_change", "Keep current project", "xmark", .cancel)
        case .disconnect: return a("disconnect", "Disconnect", "link.badge.minus", .destructive)
        case .changeProject: return a("change_project", "Change project", "arrow.left.arrow.right")
        case .signOut: return a("sign_out", "Sign out", "rectangle.portrait.and.arrow.right", .destructive)
        case .refresh: return a("refresh", "Refresh", "arrow.clockwise")
        case .retry: return a("retry", "Retry", "arrow.clockwise", .primary)
        case .dismissError: return a("dismiss_error", "Close", "xmark", .cancel)
        case .setAuto: return a("set_auto", "Automatic", "bolt")
        case .setManual: return a("set_manual", "Manual", "hand.tap")
        case .pause: return a("pause", "Pause", "pause.fill")
        case .resume: return a("resume", "Resume", "play.fill", .primary)
        case .cancelAll: return a("cancel_all", "Cancel all", "xmark.circle", .destructive)
        case .uploadSelected: return a("upload_selected", "Upload selected", "arrow.up.circle", .primary)
        case .selectAll: return a("select_all", "Select all", "checklist.checked")
        case .clearSelection: return a("clear_selection", "Clear selection", "checklist.unchecked")
        case .toggleSelect: return a("toggle_select", "Select", "checkmark.circle")
        case .moveToTop: return a("move_to_top", "Move to top", "arrow.up.to.line")
        case .cancelFile: return a("cancel_file", "Cancel upload", "xmark.circle", .destructive)
        case .retryFile: return a("retry_file", "Retry", "arrow.clockwise")
        }
    }

    /// What tapping `kind` does. Actions with a parameter need their `target` (a file, an account,
    /// a project, a search text); the app's own actions need the `connection` view their URL is in.
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
        case (.chooseAccount, _), (.searchProjects, _), (.chooseProject, _), (.toggleSelect, _),
             (.moveToTop, _), (.cancelFile, _), (.retryFile, _), (.completeSignIn, _):
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
