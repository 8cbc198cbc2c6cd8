// The app's rendering mapper: the engine's view (io.takeup.core.types.AppView and its parts) → plain
// screen models the Compose layer draws without further decisions. Plain Kotlin over the
// generated bindings: compiled and unit-tested on the JVM by scripts/test-kotlin.sh, including a
// check against shared-ui-spec/spec.json that every state and action listed there is mapped.
//
// Every `when` over a binding type is exhaustive without `else`, so a new state or action in the
// bindings fails compilation here until it is mapped.
package io.takeup.app.present

import io.takeup.android.format.Formats
import io.takeup.core.types.AccountItem
import io.takeup.core.types.ActionKind
import io.takeup.core.types.AppView
import io.takeup.core.types.ConnectionType
import io.takeup.core.types.ConnectionView
import io.takeup.core.types.FileRow
import io.takeup.core.types.Health
import io.takeup.core.types.HoldReason
import io.takeup.core.types.NetworkView
import io.takeup.core.types.Notice
import io.takeup.core.types.ProjectItem
import io.takeup.core.types.QueueBanner
import io.takeup.core.types.QueueMode
import io.takeup.core.types.QueueView
import io.takeup.core.types.RowState
import io.takeup.core.types.SectionKind
import io.takeup.core.types.SignInMethod
import io.takeup.core.types.UiAction
import io.takeup.core.types.UserView
import java.time.Instant

/** What a control does when used. */
sealed interface Intent {
    /** Send to the view model (`viewModel.dispatch`). */
    data class Dispatch(val action: UiAction) : Intent

    /**
     * Open a URL in the browser (the verification link, Frame.io's help). `signIn`: the sign-in
     * page, opened in a Custom Tab; the app's redirect URI brings the answer back, which the app
     * hands to [ConnectionScreen.completeSignIn].
     */
    data class OpenUrl(val url: String, val signIn: Boolean = false) : Intent
}

enum class Emphasis { PRIMARY, SECONDARY, DESTRUCTIVE }

data class Button(val kind: ActionKind, val label: String, val intent: Intent, val emphasis: Emphasis)

enum class Tone { NEUTRAL, GOOD, WARNING, BAD }

data class UserCard(val name: String, val email: String, val avatarUrl: String?, val initials: String)

data class CodeCard(
    val userCode: String,
    /** QR content (the complete verification URL). */
    val qrContent: String,
    /** The link shown and opened on tap; null when the server gave none. */
    val linkUrl: String?,
    val linkText: String?,
    val expiresAt: Instant,
    val deviceName: String?,
    val attempt: Int,
    /** E.g. "New code (the previous one expired)" from the second code on. */
    val attemptNote: String?,
)

data class PickerItem(val id: String, val title: String, val intent: Intent)

sealed interface Picker {
    data class Accounts(val items: List<PickerItem>) : Picker

    data class Projects(
        val accountName: String,
        val query: String,
        val items: List<PickerItem>,
        /** E.g. "3 of 12 projects" or "12 projects". */
        val countText: String,
        /** Empty-result text, when nothing matches. */
        val emptyText: String?,
        /** Build the search action for new text. */
        val search: (String) -> Intent,
    ) : Picker
}

/** The connection manager, whatever its state. */
data class ConnectionScreen(
    /** The spec's state id (`shared-ui-spec/spec.json`). */
    val stateId: String,
    val title: String,
    val message: String?,
    val user: UserCard?,
    val code: CodeCard?,
    val picker: Picker?,
    /** The connected (or connecting) project's name. */
    val projectName: String?,
    val deviceName: String?,
    /** Show a progress indicator. */
    val busy: Boolean,
    val isError: Boolean,
    val buttons: List<Button>,
    /** While signing in with a Frame.io account: the page to open in a Custom Tab. */
    val signInUrl: String? = null,
    /** While signing in: the action for the URL the browser came back to (the app's redirect). */
    val completeSignIn: ((String) -> Intent)? = null,
)

data class NetworkChip(val stateId: String, val label: String, val typeText: String, val tone: Tone)

data class BannerModel(val stateId: String, val title: String, val detail: String?, val tone: Tone)

data class RowModel(
    val id: Long,
    val name: String,
    val kindText: String,
    val stateId: String,
    val stateText: String,
    val detail: String,
    val tone: Tone,
    /** 0..1, null when unknown / not moving. */
    val progress: Float?,
    /** Shown as a checkbox when the row can be selected (manual mode). */
    val selectable: Boolean,
    val selected: Boolean,
    val toggle: Intent?,
    val buttons: List<Button>,
)

data class SectionModel(val stateId: String, val title: String, val rows: List<RowModel>)

data class QueueScreen(
    val auto: Boolean,
    /** The auto/manual toggle (dispatches SetMode). */
    val modeToggle: Intent,
    val modeText: String,
    val banner: BannerModel,
    val summary: String,
    val filesRemainingText: String,
    val bytesRemainingText: String,
    val current: RowModel?,
    val sections: List<SectionModel>,
    val selectionText: String?,
    val buttons: List<Button>,
)

data class NoticeModel(val stateId: String, val text: String, val tone: Tone)

/** The whole screen. */
data class Screen(
    val connection: ConnectionScreen,
    val network: NetworkChip,
    val queue: QueueScreen,
    val notices: List<NoticeModel>,
    /** A one-off problem to show as a snackbar, with its dismiss action. */
    val alert: String?,
    val dismissAlert: Intent,
)

object Present {
    fun screen(view: AppView): Screen = Screen(
        connection = connection(view.connection, view.connectionActions),
        network = network(view.network),
        queue = queue(view.queue),
        notices = view.notices.map(::notice),
        alert = view.alert,
        dismissAlert = Intent.Dispatch(UiAction.DismissError),
    )

    // ---- spec ids: the names shared-ui-spec/spec.json uses (the engine's serde names) ----

    fun stateId(v: ConnectionView): String = when (v) {
        is ConnectionView.NotAuthorized -> "not_authorized"
        is ConnectionView.SigningIn -> "signing_in"
        is ConnectionView.RequestingCode -> "requesting_code"
        is ConnectionView.ShowingCode -> "showing_code"
        is ConnectionView.Authorizing -> "authorizing"
        is ConnectionView.NotConnected -> "not_connected"
        is ConnectionView.LoadingAccounts -> "loading_accounts"
        is ConnectionView.ChoosingAccount -> "choosing_account"
        is ConnectionView.NoC2cAccounts -> "no_c2c_accounts"
        is ConnectionView.LoadingProjects -> "loading_projects"
        is ConnectionView.ChoosingProject -> "choosing_project"
        is ConnectionView.Connecting -> "connecting"
        is ConnectionView.Connected -> "connected"
        is ConnectionView.Failed -> "failed"
    }

    fun stateId(v: NetworkView): String = when (v) {
        is NetworkView.Offline -> "offline"
        is NetworkView.Online -> "online"
    }

    fun stateId(b: QueueBanner): String = when (b) {
        is QueueBanner.Empty -> "empty"
        is QueueBanner.Uploading -> "uploading"
        is QueueBanner.Waiting -> "waiting"
        is QueueBanner.AwaitingSelection -> "awaiting_selection"
        is QueueBanner.AllDone -> "all_done"
    }

    fun stateId(n: Notice): String = when (n) {
        is Notice.DevicePaused -> "device_paused"
    }

    fun stateId(s: RowState): String = snake(s.name)

    fun stateId(s: SectionKind): String = snake(s.name)

    fun stateId(h: HoldReason): String = snake(h.name)

    fun actionId(a: ActionKind): String = snake(a.name)

    fun actionId(a: UiAction): String = when (a) {
        is UiAction.Pair -> "pair"
        is UiAction.CancelPairing -> "cancel_pairing"
        is UiAction.SignIn -> "sign_in"
        is UiAction.CompleteSignIn -> "complete_sign_in"
        is UiAction.CancelSignIn -> "cancel_sign_in"
        is UiAction.ReloadAccounts -> "reload_accounts"
        is UiAction.ChooseAccount -> "choose_account"
        is UiAction.BackToAccounts -> "back_to_accounts"
        is UiAction.SearchProjects -> "search_projects"
        is UiAction.ChooseProject -> "choose_project"
        is UiAction.CancelChange -> "cancel_change"
        is UiAction.Disconnect -> "disconnect"
        is UiAction.ChangeProject -> "change_project"
        is UiAction.SignOut -> "sign_out"
        is UiAction.Refresh -> "refresh"
        is UiAction.Retry -> "retry"
        is UiAction.DismissError -> "dismiss_error"
        is UiAction.SetMode -> "set_mode"
        is UiAction.Pause -> "pause"
        is UiAction.Resume -> "resume"
        is UiAction.CancelAll -> "cancel_all"
        is UiAction.UploadSelected -> "upload_selected"
        is UiAction.SelectAll -> "select_all"
        is UiAction.ClearSelection -> "clear_selection"
        is UiAction.ToggleSelect -> "toggle_select"
        is UiAction.MoveToTop -> "move_to_top"
        is UiAction.CancelFile -> "cancel_file"
        is UiAction.RetryFile -> "retry_file"
    }

    /** `OPEN_VERIFICATION_LINK` → `open_verification_link`. */
    private fun snake(enumName: String): String = enumName.lowercase()

    // ---- controls ----

    /** The button label of an action. */
    fun label(a: ActionKind): String = when (a) {
        ActionKind.PAIR -> "Pair with a code"
        ActionKind.CANCEL_PAIRING -> "Cancel"
        ActionKind.OPEN_VERIFICATION_LINK -> "Open link"
        ActionKind.SIGN_IN -> "Sign in with Frame.io"
        ActionKind.OPEN_SIGN_IN -> "Open the sign-in page"
        ActionKind.COMPLETE_SIGN_IN -> "Finish signing in"
        ActionKind.CANCEL_SIGN_IN -> "Cancel"
        ActionKind.RELOAD_ACCOUNTS -> "Reload accounts"
        ActionKind.CHOOSE_ACCOUNT -> "Choose account"
        ActionKind.OPEN_HELP -> "Learn more"
        ActionKind.BACK_TO_ACCOUNTS -> "Accounts"
        ActionKind.SEARCH_PROJECTS -> "Search projects"
        ActionKind.CHOOSE_PROJECT -> "Choose project"
        ActionKind.CANCEL_CHANGE -> "Keep current project"
        ActionKind.DISCONNECT -> "Disconnect"
        ActionKind.CHANGE_PROJECT -> "Change project"
        ActionKind.SIGN_OUT -> "Sign out"
        ActionKind.REFRESH -> "Refresh"
        ActionKind.RETRY -> "Try again"
        ActionKind.DISMISS_ERROR -> "Dismiss"
        ActionKind.SET_AUTO -> "Upload automatically"
        ActionKind.SET_MANUAL -> "Choose files manually"
        ActionKind.PAUSE -> "Pause"
        ActionKind.RESUME -> "Resume"
        ActionKind.CANCEL_ALL -> "Cancel all"
        ActionKind.UPLOAD_SELECTED -> "Upload selected"
        ActionKind.SELECT_ALL -> "Select all"
        ActionKind.CLEAR_SELECTION -> "Clear selection"
        ActionKind.TOGGLE_SELECT -> "Select"
        ActionKind.MOVE_TO_TOP -> "Move to top"
        ActionKind.CANCEL_FILE -> "Cancel"
        ActionKind.RETRY_FILE -> "Retry"
    }

    private fun emphasis(a: ActionKind): Emphasis = when (a) {
        ActionKind.PAIR, ActionKind.RETRY, ActionKind.UPLOAD_SELECTED, ActionKind.RESUME,
        ActionKind.OPEN_VERIFICATION_LINK, ActionKind.OPEN_HELP, ActionKind.SIGN_IN, ActionKind.OPEN_SIGN_IN,
        -> Emphasis.PRIMARY
        ActionKind.DISCONNECT, ActionKind.SIGN_OUT, ActionKind.CANCEL_ALL, ActionKind.CANCEL_FILE,
        -> Emphasis.DESTRUCTIVE
        ActionKind.CANCEL_PAIRING, ActionKind.RELOAD_ACCOUNTS, ActionKind.CHOOSE_ACCOUNT,
        ActionKind.BACK_TO_ACCOUNTS, ActionKind.SEARCH_PROJECTS, ActionKind.CHOOSE_PROJECT,
        ActionKind.CANCEL_CHANGE, ActionKind.CHANGE_PROJECT, ActionKind.REFRESH,
        ActionKind.DISMISS_ERROR, ActionKind.SET_AUTO, ActionKind.SET_MANUAL, ActionKind.PAUSE,
        ActionKind.SELECT_ALL, ActionKind.CLEAR_SELECTION, ActionKind.TOGGLE_SELECT,
        ActionKind.MOVE_TO_TOP, ActionKind.RETRY_FILE, ActionKind.CANCEL_SIGN_IN, ActionKind.COMPLETE_SIGN_IN,
        -> Emphasis.SECONDARY
    }

    /**
     * What an action does in this context: a fixed [UiAction], a URL to open, or null for the
     * actions that are not a plain button (they need an argument and belong to an item, a row or
     * a text field: choose account/project, search, toggle select; or a URL the view lacks).
     */
    fun intent(a: ActionKind, connection: ConnectionView? = null, row: FileRow? = null): Intent? {
        fun d(action: UiAction) = Intent.Dispatch(action)
        return when (a) {
            ActionKind.PAIR -> d(UiAction.Pair)
            ActionKind.CANCEL_PAIRING -> d(UiAction.CancelPairing)
            ActionKind.OPEN_VERIFICATION_LINK -> (connection as? ConnectionView.ShowingCode)
                ?.let { it.verificationUriComplete ?: it.verificationUri ?: it.qrContent.ifEmpty { null } }
                ?.let { Intent.OpenUrl(it) }
            ActionKind.OPEN_HELP -> (connection as? ConnectionView.NoC2cAccounts)?.let { Intent.OpenUrl(it.helpUrl) }
            ActionKind.SIGN_IN -> d(UiAction.SignIn)
            ActionKind.OPEN_SIGN_IN -> (connection as? ConnectionView.SigningIn)
                ?.authorizationUrl?.takeIf(::isWebUrl)?.let { Intent.OpenUrl(it, signIn = true) }
            ActionKind.CANCEL_SIGN_IN -> d(UiAction.CancelSignIn)
            ActionKind.RELOAD_ACCOUNTS -> d(UiAction.ReloadAccounts)
            ActionKind.BACK_TO_ACCOUNTS -> d(UiAction.BackToAccounts)
            ActionKind.CANCEL_CHANGE -> d(UiAction.CancelChange)
            ActionKind.DISCONNECT -> d(UiAction.Disconnect)
            ActionKind.CHANGE_PROJECT -> d(UiAction.ChangeProject)
            ActionKind.SIGN_OUT -> d(UiAction.SignOut)
            ActionKind.REFRESH -> d(UiAction.Refresh)
            ActionKind.RETRY -> d(UiAction.Retry)
            ActionKind.DISMISS_ERROR -> d(UiAction.DismissError)
            ActionKind.SET_AUTO -> d(UiAction.SetMode(QueueMode.AUTO))
            ActionKind.SET_MANUAL -> d(UiAction.SetMode(QueueMode.MANUAL))
            ActionKind.PAUSE -> d(UiAction.Pause)
            ActionKind.RESUME -> d(UiAction.Resume)
            ActionKind.CANCEL_ALL -> d(UiAction.CancelAll)
            ActionKind.UPLOAD_SELECTED -> d(UiAction.UploadSelected)
            ActionKind.SELECT_ALL -> d(UiAction.SelectAll)
            ActionKind.CLEAR_SELECTION -> d(UiAction.ClearSelection)
            ActionKind.MOVE_TO_TOP -> row?.let { d(UiAction.MoveToTop(it.id)) }
            ActionKind.CANCEL_FILE -> row?.let { d(UiAction.CancelFile(it.id)) }
            ActionKind.RETRY_FILE -> row?.let { d(UiAction.RetryFile(it.id)) }
            ActionKind.TOGGLE_SELECT -> row?.let { d(UiAction.ToggleSelect(it.id)) }
            // Item and text-field actions: built by the picker (see [connection]); the sign-in's
            // answer comes from the redirect ([ConnectionScreen.completeSignIn]).
            ActionKind.CHOOSE_ACCOUNT, ActionKind.CHOOSE_PROJECT, ActionKind.SEARCH_PROJECTS,
            ActionKind.COMPLETE_SIGN_IN,
            -> null
        }
    }

    /** Only web pages leave the app (never a scheme a hostile server might send). */
    fun isWebUrl(url: String): Boolean =
        url.startsWith("https://") || url.startsWith("http://")

    /** Plain buttons for [kinds] (those with a fixed intent), in the view's order. */
    fun buttons(kinds: List<ActionKind>, connection: ConnectionView? = null, row: FileRow? = null): List<Button> =
        kinds.filter { it != ActionKind.TOGGLE_SELECT }.mapNotNull { k ->
            intent(k, connection = connection, row = row)?.let { Button(k, label(k), it, emphasis(k)) }
        }

    // ---- connection manager ----

    private fun user(u: UserView) = UserCard(u.name, u.email, u.avatarUrl, u.initials)

    fun connection(v: ConnectionView, actions: List<ActionKind>): ConnectionScreen {
        val id = stateId(v)
        val buttons = buttons(actions, connection = v)
        fun screen(
            title: String,
            message: String? = null,
            user: UserView? = null,
            code: CodeCard? = null,
            picker: Picker? = null,
            projectName: String? = null,
            deviceName: String? = null,
            busy: Boolean = false,
            isError: Boolean = false,
            signInUrl: String? = null,
        ) = ConnectionScreen(
            id, title, message, user?.let(::user), code, picker, projectName, deviceName, busy, isError, buttons,
            signInUrl = signInUrl,
            completeSignIn = if (ActionKind.COMPLETE_SIGN_IN in actions) {
                { url: String -> Intent.Dispatch(UiAction.CompleteSignIn(url)) }
            } else {
                null
            },
        )

        return when (v) {
            is ConnectionView.NotAuthorized -> screen(
                title = "Not connected to Frame.io",
                message = v.message ?: "Connect this app to a Frame.io project to upload what you record: " +
                    "sign in with your Frame.io account, or pair it with a code.",
            )
            is ConnectionView.SigningIn -> screen(
                title = "Sign in with Frame.io",
                message = "Finish signing in on the Frame.io page. You come back here by yourself.",
                busy = true,
                signInUrl = v.authorizationUrl,
            )
            is ConnectionView.RequestingCode -> screen(title = "Connecting to Frame.io…", message = "Getting a code", busy = true)
            is ConnectionView.ShowingCode -> screen(
                title = "Connect this device",
                message = "Scan the code with your phone, or open the link and enter the code. " +
                    "Sign in with the Frame.io account that has the project.",
                code = CodeCard(
                    userCode = v.userCode,
                    qrContent = v.qrContent,
                    linkUrl = v.verificationUriComplete ?: v.verificationUri,
                    linkText = (v.verificationUri ?: v.verificationUriComplete)?.let(::displayUrl),
                    expiresAt = Instant.ofEpochMilli(v.expiresAtMs),
                    deviceName = v.deviceName,
                    attempt = v.attempt.toInt(),
                    attemptNote = if (v.attempt > 1u) "New code: the previous one expired." else null,
                ),
            )
            is ConnectionView.Authorizing -> screen(title = "Finishing…", message = "Approved. Signing this device in.", busy = true)
            is ConnectionView.NotConnected -> when (v.method) {
                SignInMethod.ACCOUNT -> screen(
                    title = "Choose a project",
                    message = "Signed in. Choose the account and project to upload to.",
                    user = v.user,
                )
                SignInMethod.DEVICE_CODE -> screen(
                    title = "No project",
                    message = "This device is paired but has no project. Pair it again and pick the " +
                        "project on Frame.io, or sign in with your Frame.io account.",
                    user = v.user,
                    isError = true,
                )
            }
            is ConnectionView.LoadingAccounts -> screen(title = "Choose an account", message = "Loading accounts…", user = v.user, busy = true)
            is ConnectionView.ChoosingAccount -> screen(
                title = "Choose an account",
                message = if (v.accounts.isEmpty()) "No accounts." else null,
                user = v.user,
                picker = Picker.Accounts(v.accounts.map(::accountItem)),
            )
            is ConnectionView.NoC2cAccounts -> screen(
                title = "No Camera to Cloud account",
                message = "None of your Frame.io accounts has Camera to Cloud. Ask the account owner " +
                    "to enable it, or learn more in Frame.io's help.",
                user = v.user,
                isError = true,
            )
            is ConnectionView.LoadingProjects -> screen(
                title = "Choose a project",
                message = "Loading projects of ${v.account.name}…",
                user = v.user,
                busy = true,
            )
            is ConnectionView.ChoosingProject -> screen(
                title = "Choose a project",
                user = v.user,
                picker = Picker.Projects(
                    accountName = v.account.name,
                    query = v.query,
                    items = v.projects.map(::projectItem),
                    countText = projectCount(v.projects.size.toULong(), v.total, v.query),
                    emptyText = when {
                        v.projects.isNotEmpty() -> null
                        v.query.isBlank() -> "This account has no projects."
                        else -> "No project matches “${v.query.trim()}”."
                    },
                    search = { q -> Intent.Dispatch(UiAction.SearchProjects(q)) },
                ),
            )
            is ConnectionView.Connecting -> screen(
                title = "Connecting…",
                message = "Connecting to ${v.projectName}",
                user = v.user,
                projectName = v.projectName,
                busy = true,
            )
            is ConnectionView.Connected -> screen(
                title = "Connected",
                message = when (v.method) {
                    SignInMethod.ACCOUNT -> null
                    SignInMethod.DEVICE_CODE -> "Paired with a code: to change project, pair again or sign in with your Frame.io account."
                },
                user = v.user,
                projectName = v.project.name,
                deviceName = v.deviceName.ifEmpty { null },
            )
            is ConnectionView.Failed -> screen(title = "Something went wrong", message = v.message, user = v.user, isError = true)
        }
    }

    private fun accountItem(a: AccountItem) = PickerItem(a.id, a.name, Intent.Dispatch(UiAction.ChooseAccount(a.id)))

    private fun projectItem(p: ProjectItem) = PickerItem(p.id, p.name, Intent.Dispatch(UiAction.ChooseProject(p.id)))

    fun projectCount(shown: ULong, total: ULong, query: String): String {
        val noun = if (total == 1uL) "project" else "projects"
        return if (query.isBlank() || shown == total) "$total $noun" else "$shown of $total $noun"
    }

    /** `https://frame.io/device` → `frame.io/device` for display. */
    fun displayUrl(url: String): String = url.removePrefix("https://").removePrefix("http://").trimEnd('/')

    /** The code's countdown text, recomputed every second by the UI. */
    fun countdown(code: CodeCard, now: Instant): String {
        val left = Formats.countdown(code.expiresAt, now)
        return if (left == "expired") "Code expired: getting a new one…" else "Expires in $left"
    }

    fun methodText(m: SignInMethod): String = when (m) {
        SignInMethod.DEVICE_CODE -> "Paired with a code"
        SignInMethod.ACCOUNT -> "Signed in with a Frame.io account"
    }

    // ---- network ----

    fun typeText(t: ConnectionType): String = when (t) {
        ConnectionType.WIFI -> "Wi-Fi"
        ConnectionType.CELLULAR -> "Cellular"
        ConnectionType.ETHERNET -> "Ethernet"
        ConnectionType.UNKNOWN -> "Network"
    }

    fun network(n: NetworkView): NetworkChip = when (n) {
        is NetworkView.Offline -> NetworkChip(stateId(n), n.label, "Offline", Tone.BAD)
        is NetworkView.Online -> NetworkChip(
            stateId(n),
            n.label,
            typeText(n.connectionType),
            when (n.health) {
                Health.GOOD -> Tone.GOOD
                Health.FAIR -> Tone.WARNING
                Health.POOR -> Tone.BAD
                Health.UNKNOWN -> Tone.NEUTRAL
            },
        )
    }

    // ---- queue ----

    fun holdText(h: HoldReason): String = when (h) {
        HoldReason.PAUSED_BY_USER -> "Paused"
        HoldReason.OFFLINE -> "Offline"
        HoldReason.NOT_AUTHORIZED -> "Not connected to Frame.io"
        HoldReason.NOT_CONNECTED -> "No project chosen"
        HoldReason.SUSPENDED -> "Suspended by the system"
        HoldReason.INSECURE -> "No secure connection"
    }

    fun banner(b: QueueBanner): BannerModel = when (b) {
        is QueueBanner.Empty -> BannerModel(stateId(b), "No uploads yet", "Recorded media appears here.", Tone.NEUTRAL)
        is QueueBanner.Uploading -> BannerModel(
            stateId(b),
            "Uploading ${Formats.files(b.filesRemaining)}",
            "${Formats.bytes(b.bytesRemaining)} remaining · ${b.rate}",
            Tone.GOOD,
        )
        is QueueBanner.Waiting -> BannerModel(
            stateId(b),
            "${holdText(b.reason)} · ${Formats.files(b.filesRemaining)} waiting",
            b.message,
            if (b.reason == HoldReason.PAUSED_BY_USER) Tone.NEUTRAL else Tone.WARNING,
        )
        is QueueBanner.AwaitingSelection -> BannerModel(
            stateId(b),
            "${Formats.files(b.count)} to choose from",
            "Manual mode: select files to upload.",
            Tone.NEUTRAL,
        )
        is QueueBanner.AllDone -> BannerModel(
            stateId(b),
            "All done",
            if (b.failed == 0uL) "${Formats.files(b.completed)} uploaded" else "${Formats.files(b.completed)} uploaded, ${b.failed} not uploaded",
            if (b.failed == 0uL) Tone.GOOD else Tone.WARNING,
        )
    }

    fun rowStateText(s: RowState): String = when (s) {
        RowState.AWAITING_SELECTION -> "Not selected"
        RowState.QUEUED -> "Queued"
        RowState.WAITING_TO_RETRY -> "Waiting to retry"
        RowState.UPLOADING -> "Uploading"
        RowState.RECORDING -> "Recording"
        RowState.COMPLETED -> "Uploaded"
        RowState.FAILED -> "Failed"
        RowState.SKIPPED -> "Not uploaded"
        RowState.CANCELLED -> "Cancelled"
    }

    private fun rowTone(s: RowState): Tone = when (s) {
        RowState.COMPLETED -> Tone.GOOD
        RowState.FAILED, RowState.SKIPPED -> Tone.BAD
        RowState.WAITING_TO_RETRY -> Tone.WARNING
        RowState.AWAITING_SELECTION, RowState.QUEUED, RowState.UPLOADING, RowState.RECORDING, RowState.CANCELLED -> Tone.NEUTRAL
    }

    fun sectionTitleFallback(k: SectionKind): String = when (k) {
        SectionKind.UPLOADING -> "Uploading"
        SectionKind.QUEUED -> "Queued"
        SectionKind.AWAITING_SELECTION -> "Waiting for selection"
        SectionKind.FAILED -> "Failed"
        SectionKind.COMPLETED -> "Completed"
        SectionKind.CANCELLED -> "Cancelled"
    }

    fun row(r: FileRow): RowModel {
        val selectable = ActionKind.TOGGLE_SELECT in r.actions
        return RowModel(
            id = r.id,
            name = r.name,
            kindText = r.kind.name.lowercase().replaceFirstChar { it.uppercase() },
            stateId = stateId(r.state),
            stateText = rowStateText(r.state),
            detail = r.detail,
            tone = rowTone(r.state),
            progress = r.progress?.toFloat()?.coerceIn(0f, 1f),
            selectable = selectable,
            selected = r.selected,
            toggle = if (selectable) Intent.Dispatch(UiAction.ToggleSelect(r.id)) else null,
            buttons = buttons(r.actions, row = r),
        )
    }

    fun queue(q: QueueView): QueueScreen {
        val auto = q.mode == QueueMode.AUTO
        return QueueScreen(
            auto = auto,
            modeToggle = Intent.Dispatch(UiAction.SetMode(if (auto) QueueMode.MANUAL else QueueMode.AUTO)),
            modeText = if (auto) "Auto upload: new media uploads as it is recorded" else "Manual: choose the files to upload",
            banner = banner(q.banner),
            summary = q.summary,
            filesRemainingText = Formats.files(q.filesRemaining),
            bytesRemainingText = Formats.bytes(q.bytesRemaining),
            current = q.current?.let(::row),
            sections = q.sections.map { s ->
                SectionModel(stateId(s.kind), s.title.ifEmpty { sectionTitleFallback(s.kind) }, s.rows.map(::row))
            },
            selectionText = if (q.selectedIds.isEmpty()) null else "${Formats.files(q.selectedIds.size.toULong())} selected",
            // The mode toggle is its own switch; the other queue actions are buttons.
            buttons = buttons(q.actions.filter { it != ActionKind.SET_AUTO && it != ActionKind.SET_MANUAL }),
        )
    }

    fun notice(n: Notice): NoticeModel = when (n) {
        is Notice.DevicePaused -> NoticeModel(stateId(n), n.message, Tone.WARNING)
    }
}
