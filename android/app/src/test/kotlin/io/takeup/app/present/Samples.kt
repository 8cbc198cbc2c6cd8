package io.takeup.app.present

import io.takeup.core.types.AccountItem
import io.takeup.core.types.ActionKind
import io.takeup.core.types.AppView
import io.takeup.core.types.AssetKind
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
import io.takeup.core.types.QueueSection
import io.takeup.core.types.QueueView
import io.takeup.core.types.RowState
import io.takeup.core.types.SectionKind
import io.takeup.core.types.SignInMethod
import io.takeup.core.types.TakeClip
import io.takeup.core.types.TakeLogView
import io.takeup.core.types.UiAction
import io.takeup.core.types.UserView

/** One value of every variant of the view model's types, as the engine would send them. */
object Samples {
    val user = UserView(name = "Dana Reyes", email = "dana@example.com", avatarUrl = "https://img.example/dana.png", initials = "DR")
    val account = AccountItem(id = "acc-1", name = "Testbed")
    val projects = listOf(ProjectItem(id = "p-1", name = "Feature Film"), ProjectItem(id = "p-2", name = "Commercial"))

    val showingCode = ConnectionView.ShowingCode(
        userCode = "ABCD-1234",
        verificationUri = "https://frame.io/device",
        verificationUriComplete = "https://frame.io/device?code=ABCD-1234",
        qrContent = "https://frame.io/device?code=ABCD-1234",
        expiresAtMs = 1_700_000_300_000,
        expiresInSecs = 300uL,
        deviceName = "Pixel 9",
        attempt = 1u,
        linkText = "frame.io/device",
        countdownText = "Expires in 5 min 00 s",
        attemptNote = null,
    )

    val signingIn = ConnectionView.SigningIn(
        authorizationUrl = "https://applications.frame.io/oauth2/auth?response_type=code&client_id=app&state=s",
    )

    /** Every connection state, with the actions the engine offers in it. */
    val connections: List<Pair<ConnectionView, List<ActionKind>>> = listOf(
        ConnectionView.NotAuthorized(message = null) to listOf(ActionKind.PAIR, ActionKind.SIGN_IN),
        signingIn to listOf(ActionKind.OPEN_SIGN_IN, ActionKind.COMPLETE_SIGN_IN, ActionKind.CANCEL_SIGN_IN),
        ConnectionView.RequestingCode to listOf(ActionKind.CANCEL_PAIRING),
        showingCode to listOf(ActionKind.OPEN_VERIFICATION_LINK, ActionKind.CANCEL_PAIRING),
        ConnectionView.Authorizing to listOf(ActionKind.CANCEL_PAIRING),
        ConnectionView.NotConnected(user, SignInMethod.ACCOUNT) to listOf(ActionKind.RELOAD_ACCOUNTS, ActionKind.REFRESH, ActionKind.SIGN_OUT),
        ConnectionView.NotConnected(user, SignInMethod.DEVICE_CODE) to
            listOf(ActionKind.PAIR, ActionKind.SIGN_IN, ActionKind.REFRESH, ActionKind.SIGN_OUT),
        ConnectionView.LoadingAccounts(user) to listOf(ActionKind.SIGN_OUT),
        ConnectionView.ChoosingAccount(user, listOf(account)) to
            listOf(ActionKind.CHOOSE_ACCOUNT, ActionKind.RELOAD_ACCOUNTS, ActionKind.SIGN_OUT),
        ConnectionView.NoC2cAccounts(user, "https://help.frame.io/c2c") to
            listOf(ActionKind.OPEN_HELP, ActionKind.RELOAD_ACCOUNTS, ActionKind.SIGN_OUT),
        ConnectionView.LoadingProjects(user, account) to listOf(ActionKind.BACK_TO_ACCOUNTS, ActionKind.SIGN_OUT),
        ConnectionView.ChoosingProject(user, account, "", projects, 2uL, "2 projects", null) to
            listOf(ActionKind.SEARCH_PROJECTS, ActionKind.CHOOSE_PROJECT, ActionKind.BACK_TO_ACCOUNTS, ActionKind.CANCEL_CHANGE, ActionKind.SIGN_OUT),
        ConnectionView.Connecting(user, "Feature Film") to emptyList(),
        ConnectionView.Connected(user, projects[0], "Pixel 9", SignInMethod.ACCOUNT) to
            listOf(ActionKind.CHANGE_PROJECT, ActionKind.DISCONNECT, ActionKind.REFRESH, ActionKind.SIGN_OUT),
        ConnectionView.Connected(user, projects[0], "Pixel 9", SignInMethod.DEVICE_CODE) to
            listOf(ActionKind.REFRESH, ActionKind.SIGN_OUT),
        ConnectionView.Failed(user = null, message = "Network error: timed out") to listOf(ActionKind.RETRY, ActionKind.DISMISS_ERROR),
    )

    val networks: List<NetworkView> = listOf(
        NetworkView.Offline(ConnectionType.UNKNOWN, "Offline: uploads resume when the network is back", "Offline"),
        NetworkView.Online(ConnectionType.WIFI, "Wi-Fi", Health.GOOD, "Wi-Fi · good · 48 Mbit/s · 35 ms", 48e6, 35uL),
    )

    val banners: List<QueueBanner> = listOf(
        QueueBanner.Empty("No uploads yet", "Recorded media appears here."),
        QueueBanner.Uploading(
            filesRemaining = 3uL, bytesRemaining = 1_200_000_000uL, rate = "48 Mbit/s",
            title = "Uploading 3 files", detail = "1.20 GB remaining · 48 Mbit/s",
        ),
        QueueBanner.Waiting(
            reason = HoldReason.OFFLINE, filesRemaining = 2uL,
            title = "Offline · 2 files waiting", detail = "Offline: uploads resume when the network is back.",
        ),
        QueueBanner.AwaitingSelection(count = 4uL, title = "4 files to choose from", detail = "Manual mode: select files to upload."),
        QueueBanner.AllDone(completed = 5uL, failed = 1uL, title = "All done", detail = "5 files uploaded, 1 not uploaded"),
    )

    val notices: List<Notice> = listOf(Notice.DevicePaused("This device is paused in Frame.io."))

    fun row(id: Long, state: RowState, actions: List<ActionKind>, progress: Double? = null, selected: Boolean = false) = FileRow(
        id = id,
        name = "A001_C00$id.mov",
        kind = AssetKind.PROXY,
        kindText = "Proxy",
        state = state,
        stateText = "state of $id",
        detail = "detail $id",
        progress = progress,
        size = 10_000_000uL,
        uploadedBytes = 0uL,
        reason = if (state == RowState.FAILED) "server refused" else null,
        selected = selected,
        actions = actions,
    )

    /** A row in every state, with the actions the engine offers for it. */
    val rows: List<FileRow> = listOf(
        row(1, RowState.AWAITING_SELECTION, listOf(ActionKind.TOGGLE_SELECT, ActionKind.CANCEL_FILE), selected = true),
        row(2, RowState.QUEUED, listOf(ActionKind.MOVE_TO_TOP, ActionKind.CANCEL_FILE)),
        row(3, RowState.WAITING_TO_RETRY, listOf(ActionKind.MOVE_TO_TOP, ActionKind.CANCEL_FILE)),
        row(4, RowState.UPLOADING, listOf(ActionKind.CANCEL_FILE), progress = 0.42),
        row(5, RowState.RECORDING, listOf(ActionKind.CANCEL_FILE), progress = 0.0),
        row(6, RowState.COMPLETED, emptyList()),
        row(7, RowState.FAILED, listOf(ActionKind.RETRY_FILE)),
        row(8, RowState.SKIPPED, emptyList()),
        row(9, RowState.CANCELLED, listOf(ActionKind.RETRY_FILE)),
    )

    fun queue(mode: QueueMode = QueueMode.MANUAL, actions: List<ActionKind> = ActionKind.entries.filter { it in queueActions }) = QueueView(
        mode = mode,
        modeText = "mode text",
        pausedByUser = false,
        banner = banners[1],
        summary = "3 files · 1.20 GB remaining",
        filesRemaining = 3uL,
        bytesRemaining = 1_200_000_000uL,
        current = rows[3],
        sections = SectionKind.entries.map { k -> QueueSection(k, "Section ${k.name} (1)", listOf(rows[k.ordinal])) },
        selectedIds = listOf(1L),
        selectionText = "1 file selected",
        actions = actions,
    )

    val queueActions = setOf(
        ActionKind.SET_AUTO, ActionKind.SET_MANUAL, ActionKind.PAUSE, ActionKind.RESUME, ActionKind.CANCEL_ALL,
        ActionKind.SELECT_ALL, ActionKind.UPLOAD_SELECTED, ActionKind.CLEAR_SELECTION,
    )

    fun note(id: Long, state: NoteState, text: String = "note $id") = NoteRow(
        id = id,
        text = text,
        frame = if (id % 2 == 0L) 48uL else null,
        state = state,
        detail = "detail of note $id",
        actions = if (state == NoteState.FAILED) listOf(ActionKind.RETRY_NOTE) else emptyList(),
    )

    /** A note in every state. */
    val notes: List<NoteRow> = NoteState.entries.mapIndexed { i, s -> note(10L + i, s) }

    val clip = TakeClip(
        fileId = 8,
        clip = "A001_C008.mov",
        scene = "12A",
        take = "3",
        circled = true,
        title = "Scene 12A · Take 3",
        detail = "3 notes · 1 waiting",
        notes = notes,
        actions = listOf(ActionKind.LOG_TAKE, ActionKind.TOGGLE_CIRCLE, ActionKind.ADD_NOTE),
    )

    val takeLog = TakeLogView(
        clips = listOf(clip, clip.copy(fileId = 9, clip = "A001_C009.mov", scene = "", take = "", circled = false, title = "Not logged", detail = "No notes", notes = emptyList())),
        triggers = listOf(note(20, NoteState.WAITING, "Channel 1 · input 2")),
        waiting = 2uL,
        summary = "2 notes waiting to send",
        actions = listOf(ActionKind.ADD_TRIGGER),
    )

    fun app(connection: ConnectionView = ConnectionView.NotAuthorized(null), actions: List<ActionKind> = listOf(ActionKind.PAIR)) = AppView(
        connection = connection,
        connectionHeader = header,
        connectionActions = actions,
        network = networks[1],
        queue = queue(),
        notices = notices,
        alert = "Could not cancel the file: not found",
        takeLog = takeLog,
    )

    val header = ConnectionHeader(title = "Not connected to Frame.io", message = "Connect this app.", busy = false, isError = false)

    /** One of each UiAction, as the app sends them. */
    val uiActions: List<UiAction> = listOf(
        UiAction.Pair, UiAction.CancelPairing, UiAction.SignIn,
        UiAction.CompleteSignIn("io.takeup.app:/oauth2redirect?code=c&state=s"), UiAction.CancelSignIn,
        UiAction.ReloadAccounts, UiAction.ChooseAccount("acc-1"),
        UiAction.BackToAccounts, UiAction.SearchProjects("feat"), UiAction.ChooseProject("p-1"), UiAction.CancelChange,
        UiAction.Disconnect, UiAction.ChangeProject, UiAction.SignOut, UiAction.Refresh, UiAction.Retry,
        UiAction.DismissError, UiAction.SetMode(QueueMode.AUTO), UiAction.Pause, UiAction.Resume, UiAction.CancelAll,
        UiAction.UploadSelected, UiAction.SelectAll, UiAction.ClearSelection, UiAction.ToggleSelect(1),
        UiAction.MoveToTop(2), UiAction.CancelFile(3), UiAction.RetryFile(7),
        UiAction.LogTake(8, "12A", "3", true), UiAction.ToggleCircle(8), UiAction.AddNote(8, "good", 48uL),
        UiAction.RetryNote(12), UiAction.AddTrigger(1u, 2u),
    )
}
