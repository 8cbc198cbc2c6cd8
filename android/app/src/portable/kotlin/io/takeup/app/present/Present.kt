// The app's rendering mapper: the engine's view (io.takeup.core.types.AppView and its parts) → plain
// screen models the Compose layer draws without further decisions. Plain Kotlin over the
// generated bindings: compiled and unit-tested on the JVM by scripts/test-kotlin.sh, including a
// check against shared-ui-spec/spec.json that every state and action listed there is mapped.
//
// The words come from the engine: every text is in the view, and a control's label is
// `actionLabel` (the same for the iOS app). This file decides layout, tone and intents only.
//
// Every `when` over a binding type is exhaustive without `else`, so a new state or action in the
// bindings fails compilation here until it is mapped.
package io.takeup.app.present

import io.takeup.core.actionLabel
import io.takeup.core.types.AccountItem
import io.takeup.core.types.ActionKind
import io.takeup.core.types.AppView
import io.takeup.core.types.ConnectionHeader
import io.takeup.core.types.ConnectionType
import io.takeup.core.types.ConnectionView
import io.takeup.core.types.FileRow
import io.takeup.core.types.Health
import io.takeup.core.types.HoldReason
import io.takeup.core.types.NetworkView
import io.takeup.core.types.NoteRow
import io.takeup.core.types.NoteState
import io.takeup.core.types.Notice
import io.takeup.core.types.ProjectItem
import io.takeup.core.types.QueueBanner
import io.takeup.core.types.QueueMode
import io.takeup.core.types.QueueView
import io.takeup.core.types.RowState
import io.takeup.core.types.SectionKind
import io.takeup.core.types.TakeClip
import io.takeup.core.types.TakeLogView
import io.takeup.core.types.UiAction
import io.takeup.core.types.UserView

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
    /** E.g. "Expires in 4 min 05 s" (the view ticks every second). */
    val countdownText: String,
    val deviceName: String?,
    val attempt: Int,
    /** E.g. "New code: the previous one expired." from the second code on. */
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

data class NetworkChip(val stateId: String, val label: String, val typeText: String, val type: ConnectionType?, val tone: Tone)

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
    /** E.g. "3 files · 1.20 GB remaining". */
    val summary: String,
    val filesRemaining: Long,
    val current: RowModel?,
    val sections: List<SectionModel>,
    val selectionText: String?,
    val buttons: List<Button>,
)

data class NoticeModel(val stateId: String, val text: String, val tone: Tone)

/** One take-log note: a comment (sent, waiting or refused) or a trigger. */
data class NoteModel(
    val id: Long,
    val text: String,
    /** The frame a comment points at. */
    val frame: Long?,
    val stateId: String,
    val detail: String,
    val tone: Tone,
    val buttons: List<Button>,
)

/** One clip in the take log. */
data class ClipModel(
    val fileId: Long,
    val clip: String,
    /** E.g. "Scene 12A · Take 3", or "Not logged". */
    val title: String,
    val scene: String,
    val take: String,
    val circled: Boolean,
    /** E.g. "2 notes · 1 waiting". */
    val detail: String,
    val notes: List<NoteModel>,
    /** The circle-take switch; null when not offered. */
    val toggleCircle: Intent?,
    /** The scene/take form's save (scene, take); keeps the circle. */
    val logTake: ((String, String) -> Intent)?,
    /** The note field's send (text, optional frame). */
    val addNote: ((String, Long?) -> Intent)?,
    val labels: ClipLabels,
)

/** The labels of a clip's controls (the engine's wording). */
data class ClipLabels(val logTake: String, val toggleCircle: String, val addNote: String)

/** The take-log screen (the tablet companion's). */
data class TakeLogScreen(
    /** E.g. "3 notes waiting to send". */
    val summary: String,
    val waiting: Long,
    val clips: List<ClipModel>,
    val triggers: List<NoteModel>,
    /** A real-time logging trigger on (channel, input), now; null when not offered. */
    val addTrigger: ((UInt, UInt) -> Intent)?,
    val addTriggerLabel: String,
)

/** The whole screen. */
data class Screen(
    val connection: ConnectionScreen,
    val network: NetworkChip,
    val queue: QueueScreen,
    val takeLog: TakeLogScreen,
    val notices: List<NoticeModel>,
    /** A one-off problem to show as a snackbar, with its dismiss action. */
    val alert: String?,
    val dismissAlert: Intent,
)

object Present {
    fun screen(view: AppView): Screen = Screen(
        connection = connection(view.connection, view.connectionHeader, view.connectionActions),
        network = network(view.network),
        queue = queue(view.queue),
        takeLog = takeLog(view.takeLog),
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
        is UiAction.LogTake -> "log_take"
        is UiAction.ToggleCircle -> "toggle_circle"
        is UiAction.AddNote -> "add_note"
        is UiAction.RetryNote -> "retry_note"
        is UiAction.AddTrigger -> "add_trigger"
    }

    fun stateId(s: NoteState): String = snake(s.name)

    /** `OPEN_VERIFICATION_LINK` → `open_verification_link`. */
    private fun snake(enumName: String): String = enumName.lowercase()

    // ---- controls ----

    /** The button label of an action: the engine's wording. */
    fun label(a: ActionKind): String = actionLabel(a)

    private fun emphasis(a: ActionKind): Emphasis = when (a) {
        ActionKind.PAIR, ActionKind.RETRY, ActionKind.UPLOAD_SELECTED, ActionKind.RESUME,
        ActionKind.OPEN_VERIFICATION_LINK, ActionKind.OPEN_HELP, ActionKind.SIGN_IN, ActionKind.OPEN_SIGN_IN,
        ActionKind.ADD_NOTE, ActionKind.ADD_TRIGGER,
        -> Emphasis.PRIMARY
        ActionKind.DISCONNECT, ActionKind.SIGN_OUT, ActionKind.CANCEL_ALL, ActionKind.CANCEL_FILE,
        -> Emphasis.DESTRUCTIVE
        ActionKind.CANCEL_PAIRING, ActionKind.RELOAD_ACCOUNTS, ActionKind.CHOOSE_ACCOUNT,
        ActionKind.BACK_TO_ACCOUNTS, ActionKind.SEARCH_PROJECTS, ActionKind.CHOOSE_PROJECT,
        ActionKind.CANCEL_CHANGE, ActionKind.CHANGE_PROJECT, ActionKind.REFRESH,
        ActionKind.DISMISS_ERROR, ActionKind.SET_AUTO, ActionKind.SET_MANUAL, ActionKind.PAUSE,
        ActionKind.SELECT_ALL, ActionKind.CLEAR_SELECTION, ActionKind.TOGGLE_SELECT,
        ActionKind.MOVE_TO_TOP, ActionKind.RETRY_FILE, ActionKind.CANCEL_SIGN_IN, ActionKind.COMPLETE_SIGN_IN,
        ActionKind.LOG_TAKE, ActionKind.TOGGLE_CIRCLE, ActionKind.RETRY_NOTE,
        -> Emphasis.SECONDARY
    }

    /**
     * What an action does in this context: a fixed [UiAction], a URL to open, or null for the
     * actions that are not a plain button (they need an argument and belong to an item, a row or
     * a text field: choose account/project, search, toggle select; or a URL the view lacks).
     */
    fun intent(
        a: ActionKind,
        connection: ConnectionView? = null,
        row: FileRow? = null,
        clip: TakeClip? = null,
        note: NoteRow? = null,
    ): Intent? {
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
            ActionKind.TOGGLE_CIRCLE -> clip?.let { d(UiAction.ToggleCircle(it.fileId)) }
            ActionKind.RETRY_NOTE -> note?.let { d(UiAction.RetryNote(it.id)) }
            // Item and text-field actions: built by the picker (see [connection]) and the take
            // log ([takeLog]); the sign-in's answer comes from the redirect
            // ([ConnectionScreen.completeSignIn]).
            ActionKind.CHOOSE_ACCOUNT, ActionKind.CHOOSE_PROJECT, ActionKind.SEARCH_PROJECTS,
            ActionKind.COMPLETE_SIGN_IN, ActionKind.LOG_TAKE, ActionKind.ADD_NOTE, ActionKind.ADD_TRIGGER,
            -> null
        }
    }

    /** Only web pages leave the app (never a scheme a hostile server might send). */
    fun isWebUrl(url: String): Boolean =
        url.startsWith("https://") || url.startsWith("http://")

    /** Plain buttons for [kinds] (those with a fixed intent), in the view's order. */
    fun buttons(kinds: List<ActionKind>, connection: ConnectionView? = null, row: FileRow? = null, note: NoteRow? = null): List<Button> =
        kinds.filter { it != ActionKind.TOGGLE_SELECT }.mapNotNull { k ->
            intent(k, connection = connection, row = row, note = note)?.let { Button(k, label(k), it, emphasis(k)) }
        }

    // ---- connection manager ----

    private fun user(u: UserView) = UserCard(u.name, u.email, u.avatarUrl, u.initials)

    fun connection(v: ConnectionView, header: ConnectionHeader, actions: List<ActionKind>): ConnectionScreen {
        fun screen(
            user: UserView? = null,
            code: CodeCard? = null,
            picker: Picker? = null,
            projectName: String? = null,
            deviceName: String? = null,
            signInUrl: String? = null,
        ) = ConnectionScreen(
            stateId(v), header.title, header.message, user?.let(::user), code, picker, projectName, deviceName,
            header.busy, header.isError, buttons(actions, connection = v),
            signInUrl = signInUrl,
            completeSignIn = if (ActionKind.COMPLETE_SIGN_IN in actions) {
                { url: String -> Intent.Dispatch(UiAction.CompleteSignIn(url)) }
            } else {
                null
            },
        )

        return when (v) {
            is ConnectionView.NotAuthorized, is ConnectionView.RequestingCode, is ConnectionView.Authorizing,
            is ConnectionView.Failed,
            -> screen(user = (v as? ConnectionView.Failed)?.user)
            is ConnectionView.SigningIn -> screen(signInUrl = v.authorizationUrl)
            is ConnectionView.ShowingCode -> screen(
                code = CodeCard(
                    userCode = v.userCode,
                    qrContent = v.qrContent,
                    linkUrl = v.verificationUriComplete ?: v.verificationUri,
                    linkText = v.linkText,
                    countdownText = v.countdownText,
                    deviceName = v.deviceName,
                    attempt = v.attempt.toInt(),
                    attemptNote = v.attemptNote,
                ),
            )
            is ConnectionView.NotConnected -> screen(user = v.user)
            is ConnectionView.LoadingAccounts -> screen(user = v.user)
            is ConnectionView.ChoosingAccount -> screen(user = v.user, picker = Picker.Accounts(v.accounts.map(::accountItem)))
            is ConnectionView.NoC2cAccounts -> screen(user = v.user)
            is ConnectionView.LoadingProjects -> screen(user = v.user)
            is ConnectionView.ChoosingProject -> screen(
                user = v.user,
                picker = Picker.Projects(
                    accountName = v.account.name,
                    query = v.query,
                    items = v.projects.map(::projectItem),
                    countText = v.countText,
                    emptyText = v.emptyText,
                    search = { q -> Intent.Dispatch(UiAction.SearchProjects(q)) },
                ),
            )
            is ConnectionView.Connecting -> screen(user = v.user, projectName = v.projectName)
            is ConnectionView.Connected -> screen(user = v.user, projectName = v.project.name, deviceName = v.deviceName.ifEmpty { null })
        }
    }

    private fun accountItem(a: AccountItem) = PickerItem(a.id, a.name, Intent.Dispatch(UiAction.ChooseAccount(a.id)))

    private fun projectItem(p: ProjectItem) = PickerItem(p.id, p.name, Intent.Dispatch(UiAction.ChooseProject(p.id)))

    // ---- network ----

    fun network(n: NetworkView): NetworkChip = when (n) {
        is NetworkView.Offline -> NetworkChip(stateId(n), n.label, n.typeText, null, Tone.BAD)
        is NetworkView.Online -> NetworkChip(
            stateId(n),
            n.label,
            n.typeText,
            n.connectionType,
            when (n.health) {
                Health.GOOD -> Tone.GOOD
                Health.FAIR -> Tone.WARNING
                Health.POOR -> Tone.BAD
                Health.UNKNOWN -> Tone.NEUTRAL
            },
        )
    }

    // ---- queue ----

    fun banner(b: QueueBanner): BannerModel = when (b) {
        is QueueBanner.Empty -> BannerModel(stateId(b), b.title, b.detail, Tone.NEUTRAL)
        is QueueBanner.Uploading -> BannerModel(stateId(b), b.title, b.detail, Tone.GOOD)
        is QueueBanner.Waiting -> BannerModel(
            stateId(b),
            b.title,
            b.detail,
            if (b.reason == HoldReason.PAUSED_BY_USER) Tone.NEUTRAL else Tone.WARNING,
        )
        is QueueBanner.AwaitingSelection -> BannerModel(stateId(b), b.title, b.detail, Tone.NEUTRAL)
        is QueueBanner.AllDone -> BannerModel(stateId(b), b.title, b.detail, if (b.failed == 0uL) Tone.GOOD else Tone.WARNING)
    }

    private fun rowTone(s: RowState): Tone = when (s) {
        RowState.COMPLETED -> Tone.GOOD
        RowState.FAILED, RowState.SKIPPED -> Tone.BAD
        RowState.WAITING_TO_RETRY -> Tone.WARNING
        RowState.AWAITING_SELECTION, RowState.QUEUED, RowState.UPLOADING, RowState.RECORDING, RowState.CANCELLED -> Tone.NEUTRAL
    }

    fun row(r: FileRow): RowModel {
        val selectable = ActionKind.TOGGLE_SELECT in r.actions
        return RowModel(
            id = r.id,
            name = r.name,
            kindText = r.kindText,
            stateId = stateId(r.state),
            stateText = r.stateText,
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
            modeText = q.modeText,
            banner = banner(q.banner),
            summary = q.summary,
            filesRemaining = q.filesRemaining.toLong(),
            current = q.current?.let(::row),
            sections = q.sections.map { s -> SectionModel(stateId(s.kind), s.title, s.rows.map(::row)) },
            selectionText = q.selectionText,
            // The mode toggle is its own switch; the other queue actions are buttons.
            buttons = buttons(q.actions.filter { it != ActionKind.SET_AUTO && it != ActionKind.SET_MANUAL }),
        )
    }

    fun notice(n: Notice): NoticeModel = when (n) {
        is Notice.DevicePaused -> NoticeModel(stateId(n), n.message, Tone.WARNING)
    }

    // ---- take log ----

    private fun noteTone(s: NoteState): Tone = when (s) {
        NoteState.SENT -> Tone.GOOD
        NoteState.WAITING -> Tone.NEUTRAL
        NoteState.FAILED -> Tone.BAD
    }

    fun note(n: NoteRow): NoteModel = NoteModel(
        id = n.id,
        text = n.text,
        frame = n.frame?.toLong(),
        stateId = stateId(n.state),
        detail = n.detail,
        tone = noteTone(n.state),
        buttons = buttons(n.actions, note = n),
    )

    fun clip(c: TakeClip): ClipModel = ClipModel(
        fileId = c.fileId,
        clip = c.clip,
        title = c.title,
        scene = c.scene,
        take = c.take,
        circled = c.circled,
        detail = c.detail,
        notes = c.notes.map(::note),
        toggleCircle = if (ActionKind.TOGGLE_CIRCLE in c.actions) intent(ActionKind.TOGGLE_CIRCLE, clip = c) else null,
        logTake = if (ActionKind.LOG_TAKE in c.actions) {
            { scene: String, take: String -> Intent.Dispatch(UiAction.LogTake(c.fileId, scene, take, c.circled)) }
        } else {
            null
        },
        addNote = if (ActionKind.ADD_NOTE in c.actions) {
            { text: String, frame: Long? -> Intent.Dispatch(UiAction.AddNote(c.fileId, text, frame?.toULong())) }
        } else {
            null
        },
        labels = ClipLabels(label(ActionKind.LOG_TAKE), label(ActionKind.TOGGLE_CIRCLE), label(ActionKind.ADD_NOTE)),
    )

    fun takeLog(t: TakeLogView): TakeLogScreen = TakeLogScreen(
        summary = t.summary,
        waiting = t.waiting.toLong(),
        clips = t.clips.map(::clip),
        triggers = t.triggers.map(::note),
        addTrigger = if (ActionKind.ADD_TRIGGER in t.actions) {
            { channel: UInt, input: UInt -> Intent.Dispatch(UiAction.AddTrigger(channel, input)) }
        } else {
            null
        },
        addTriggerLabel = label(ActionKind.ADD_TRIGGER),
    )
}
