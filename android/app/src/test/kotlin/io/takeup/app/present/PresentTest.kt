package io.takeup.app.present

import io.takeup.core.types.ActionKind
import io.takeup.core.types.ConnectionHeader
import io.takeup.core.types.ConnectionView
import io.takeup.core.types.QueueMode
import io.takeup.core.types.RowState
import io.takeup.core.types.SignInMethod
import io.takeup.core.types.UiAction
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

class PresentTest {
    private fun dispatched(b: Button) = (b.intent as Intent.Dispatch).action

    @Test
    fun everyConnectionStateShowsTheEnginesHeaderAndItsButtons() {
        val busy = ConnectionHeader(title = "Finishing…", message = null, busy = true, isError = true)
        for ((view, actions) in Samples.connections) {
            val s = Present.connection(view, busy, actions)
            assertEquals(s.stateId, "Finishing…", s.title)
            assertNull(s.stateId, s.message)
            assertTrue(s.stateId, s.busy && s.isError)
            // Item / text-field actions are not plain buttons; every other offered action is one.
            val expected = actions.filter {
                it !in setOf(ActionKind.CHOOSE_ACCOUNT, ActionKind.CHOOSE_PROJECT, ActionKind.SEARCH_PROJECTS, ActionKind.COMPLETE_SIGN_IN)
            }
            assertEquals(s.stateId, expected, s.buttons.map { it.kind })
        }
    }

    @Test
    fun cancellingIsOfferedAtEveryPairingStep() {
        for ((view, actions) in Samples.connections.filter { it.first is ConnectionView.RequestingCode || it.first is ConnectionView.ShowingCode || it.first is ConnectionView.Authorizing }) {
            val s = Present.connection(view, Samples.header, actions)
            assertTrue(s.stateId, s.buttons.any { it.kind == ActionKind.CANCEL_PAIRING && dispatched(it) == UiAction.CancelPairing })
        }
    }

    @Test
    fun showingCodeHasQrLinkCodeAndCountdown() {
        val s = Present.connection(Samples.showingCode, Samples.header, listOf(ActionKind.OPEN_VERIFICATION_LINK, ActionKind.CANCEL_PAIRING))
        val code = requireNotNull(s.code)
        assertEquals("ABCD-1234", code.userCode)
        assertEquals("https://frame.io/device?code=ABCD-1234", code.qrContent)
        assertEquals("https://frame.io/device?code=ABCD-1234", code.linkUrl)
        assertEquals("frame.io/device", code.linkText)
        assertEquals(Intent.OpenUrl("https://frame.io/device?code=ABCD-1234"), s.buttons.first().intent)
        assertEquals("Expires in 5 min 00 s", code.countdownText)
        assertNull(code.attemptNote)
        val second = Present.connection(Samples.showingCode.copy(attempt = 2u, attemptNote = "New code"), Samples.header, emptyList())
        assertEquals("New code", second.code!!.attemptNote)
    }

    @Test
    fun connectedCardShowsUserProjectAndManagement() {
        val (view, actions) = Samples.connections.first {
            (it.first as? ConnectionView.Connected)?.method == SignInMethod.ACCOUNT
        }
        val s = Present.connection(view, Samples.header, actions)
        assertEquals("connected", s.stateId)
        assertEquals("Feature Film", s.projectName)
        assertEquals("Pixel 9", s.deviceName)
        assertEquals(UserCard("Dana Reyes", "dana@example.com", "https://img.example/dana.png", "DR"), s.user)
        assertEquals(listOf(UiAction.ChangeProject, UiAction.Disconnect, UiAction.Refresh, UiAction.SignOut), s.buttons.map(::dispatched))
    }

    @Test
    fun pickersBuildChooseAndSearchActions() {
        val accounts = Present.connection(ConnectionView.ChoosingAccount(Samples.user, listOf(Samples.account)), Samples.header, emptyList())
        val a = accounts.picker as Picker.Accounts
        assertEquals(Intent.Dispatch(UiAction.ChooseAccount("acc-1")), a.items.single().intent)

        val projects = Present.connection(
            ConnectionView.ChoosingProject(Samples.user, Samples.account, "feat", Samples.projects.take(1), 2uL, "1 of 2 projects", null),
            Samples.header,
            emptyList(),
        )
        val p = projects.picker as Picker.Projects
        assertEquals("Testbed", p.accountName)
        assertEquals("1 of 2 projects", p.countText)
        assertEquals(Intent.Dispatch(UiAction.ChooseProject("p-1")), p.items.single().intent)
        assertEquals(Intent.Dispatch(UiAction.SearchProjects("com")), p.search("com"))
        assertNull(p.emptyText)

        val none = Present.connection(
            ConnectionView.ChoosingProject(Samples.user, Samples.account, "zzz", emptyList(), 2uL, "0 of 2 projects", "No project matches “zzz”."),
            Samples.header,
            emptyList(),
        )
        assertEquals("No project matches “zzz”.", (none.picker as Picker.Projects).emptyText)
    }

    @Test
    fun noC2cLinksToHelp() {
        val (view, actions) = Samples.connections.first { it.first is ConnectionView.NoC2cAccounts }
        val s = Present.connection(view, Samples.header.copy(isError = true), actions)
        assertTrue(s.isError)
        assertEquals(Intent.OpenUrl("https://help.frame.io/c2c"), s.buttons.first { it.kind == ActionKind.OPEN_HELP }.intent)
    }

    @Test
    fun bothWaysToConnectAndTheSignInPage() {
        val s = Present.connection(ConnectionView.NotAuthorized(null), Samples.header, listOf(ActionKind.PAIR, ActionKind.SIGN_IN))
        assertEquals(listOf(UiAction.Pair, UiAction.SignIn), s.buttons.map(::dispatched))
        val signing = Present.connection(
            Samples.signingIn,
            Samples.header,
            listOf(ActionKind.OPEN_SIGN_IN, ActionKind.COMPLETE_SIGN_IN, ActionKind.CANCEL_SIGN_IN),
        )
        assertEquals("signing_in", signing.stateId)
        assertEquals(Samples.signingIn.authorizationUrl, signing.signInUrl)
        assertEquals(Intent.OpenUrl(Samples.signingIn.authorizationUrl, signIn = true), signing.buttons.first().intent)
        assertEquals(
            Intent.Dispatch(UiAction.CompleteSignIn("io.takeup.app:/oauth2redirect?code=c")),
            signing.completeSignIn!!("io.takeup.app:/oauth2redirect?code=c"),
        )
        // A sign-in page that is not a web page is not opened.
        val hostile = ConnectionView.SigningIn("intent://evil")
        assertNull(Present.intent(ActionKind.OPEN_SIGN_IN, connection = hostile))
        // A paired device: no connection manager, and the card says how to change project.
        val paired = Present.connection(
            ConnectionView.Connected(Samples.user, Samples.projects[0], "Pixel 9", SignInMethod.DEVICE_CODE),
            Samples.header,
            listOf(ActionKind.REFRESH, ActionKind.SIGN_OUT),
        )
        assertEquals(listOf(UiAction.Refresh, UiAction.SignOut), paired.buttons.map(::dispatched))
    }

    @Test
    fun notAuthorizedOffersPairing() {
        val plain = Present.connection(ConnectionView.NotAuthorized(null), Samples.header, listOf(ActionKind.PAIR))
        assertEquals(UiAction.Pair, dispatched(plain.buttons.single()))
        assertEquals("Connect this app.", plain.message)
    }

    @Test
    fun rowsCarryTheirIdsIntoActions() {
        val byState = Samples.rows.associateBy({ it.state }, { Present.row(it) })
        val held = byState.getValue(RowState.AWAITING_SELECTION)
        assertTrue(held.selectable)
        assertTrue(held.selected)
        assertEquals(Intent.Dispatch(UiAction.ToggleSelect(1)), held.toggle)
        assertEquals(listOf(UiAction.CancelFile(1)), held.buttons.map(::dispatched))
        assertEquals(listOf(UiAction.MoveToTop(2), UiAction.CancelFile(2)), byState.getValue(RowState.QUEUED).buttons.map(::dispatched))
        assertEquals(listOf(UiAction.RetryFile(7)), byState.getValue(RowState.FAILED).buttons.map(::dispatched))
        val up = byState.getValue(RowState.UPLOADING)
        assertFalse(up.selectable)
        assertEquals(0.42f, up.progress!!, 1e-6f)
        assertEquals("Proxy", up.kindText)
        assertEquals("state of 4", up.stateText)
    }

    @Test
    fun queueScreen() {
        val manual = Present.queue(Samples.queue(QueueMode.MANUAL))
        assertFalse(manual.auto)
        assertEquals(Intent.Dispatch(UiAction.SetMode(QueueMode.AUTO)), manual.modeToggle)
        assertEquals(3L, manual.filesRemaining)
        assertEquals("3 files · 1.20 GB remaining", manual.summary)
        assertEquals("mode text", manual.modeText)
        assertEquals("1 file selected", manual.selectionText)
        assertEquals("Section UPLOADING (1)", manual.sections.first().title)
        assertEquals("uploading", manual.banner.stateId)
        assertEquals(4L, manual.current!!.id)
        assertEquals(6, manual.sections.size)
        // The mode switch is not a button; the other queue commands are.
        assertEquals(
            listOf(UiAction.Pause, UiAction.Resume, UiAction.CancelAll, UiAction.UploadSelected, UiAction.SelectAll, UiAction.ClearSelection),
            manual.buttons.map(::dispatched),
        )
        val auto = Present.queue(Samples.queue(QueueMode.AUTO))
        assertEquals(Intent.Dispatch(UiAction.SetMode(QueueMode.MANUAL)), auto.modeToggle)
    }

    @Test
    fun bannersNetworkAndNotices() {
        for (b in Samples.banners) assertTrue(Present.banner(b).title.isNotBlank())
        assertEquals("Uploading 3 files", Present.banner(Samples.banners[1]).title)
        assertEquals("1.20 GB remaining · 48 Mbit/s", Present.banner(Samples.banners[1]).detail)
        assertEquals("Offline · 2 files waiting", Present.banner(Samples.banners[2]).title)
        assertEquals(Tone.BAD, Present.network(Samples.networks[0]).tone)
        assertEquals("Wi-Fi", Present.network(Samples.networks[1]).typeText)
        assertEquals(Tone.GOOD, Present.network(Samples.networks[1]).tone)
        assertEquals("device_paused", Present.notice(Samples.notices[0]).stateId)
        assertNull(Present.network(Samples.networks[0]).type)
        assertEquals("Offline", Present.network(Samples.networks[0]).typeText)
    }

    @Test
    fun takeLogClipsNotesAndTheirIntents() {
        val t = Present.takeLog(Samples.takeLog)
        assertEquals("2 notes waiting to send", t.summary)
        assertEquals(2L, t.waiting)
        assertEquals(Intent.Dispatch(UiAction.AddTrigger(1u, 2u)), t.addTrigger!!(1u, 2u))
        assertEquals("Mark", t.addTriggerLabel)
        assertEquals(listOf("Channel 1 · input 2"), t.triggers.map { it.text })
        val c = t.clips.first()
        assertEquals("Scene 12A · Take 3", c.title)
        assertTrue(c.circled)
        assertEquals(Intent.Dispatch(UiAction.ToggleCircle(8)), c.toggleCircle)
        // Saving the form keeps the circle the clip has.
        assertEquals(Intent.Dispatch(UiAction.LogTake(8, "12B", "4", true)), c.logTake!!("12B", "4"))
        assertEquals(Intent.Dispatch(UiAction.AddNote(8, "focus", 96uL)), c.addNote!!("focus", 96L))
        assertEquals(ClipLabels("Log take", "Circle take", "Add note"), c.labels)
        assertEquals(listOf("waiting", "sent", "failed"), c.notes.map { it.stateId })
        assertEquals(listOf(Tone.NEUTRAL, Tone.GOOD, Tone.BAD), c.notes.map { it.tone })
        val failed = c.notes.single { it.stateId == "failed" }
        assertEquals(listOf(UiAction.RetryNote(12)), failed.buttons.map(::dispatched))
        assertEquals("detail of note 12", failed.detail)
        assertEquals(48L, c.notes.first { it.id == 10L }.frame)
        // A clip without actions offers no controls; a log without add_trigger no trigger.
        val bare = Present.clip(Samples.clip.copy(actions = emptyList()))
        assertNull(bare.toggleCircle)
        assertNull(bare.logTake)
        assertNull(bare.addNote)
        assertNull(Present.takeLog(Samples.takeLog.copy(actions = emptyList())).addTrigger)
    }

    @Test
    fun wholeScreenAndAlert() {
        val s = Present.screen(Samples.app())
        assertEquals("not_authorized", s.connection.stateId)
        assertEquals("Could not cancel the file: not found", s.alert)
        assertEquals(Intent.Dispatch(UiAction.DismissError), s.dismissAlert)
        assertEquals(1, s.notices.size)
        assertEquals("Not connected to Frame.io", s.connection.title)
        assertEquals(2, s.takeLog.clips.size)
    }

    @Test
    fun labelsAreTheEnginesWording() {
        assertEquals("Pair with a code", Present.label(ActionKind.PAIR))
        assertEquals("Send again", Present.label(ActionKind.RETRY_NOTE))
    }

    @Test
    fun everyActionKindHasALabelAndIdsAreSnakeCase() {
        for (k in ActionKind.entries) {
            assertTrue(k.name, Present.label(k).isNotBlank())
            assertTrue(Present.actionId(k).matches(Regex("[a-z0-9_]+")))
        }
        assertEquals("open_verification_link", Present.actionId(ActionKind.OPEN_VERIFICATION_LINK))
        assertEquals(Samples.uiActions.size, Samples.uiActions.map(Present::actionId).toSet().size)
    }
}
