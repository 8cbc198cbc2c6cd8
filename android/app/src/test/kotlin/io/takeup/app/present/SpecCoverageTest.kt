package io.takeup.app.present

import io.takeup.core.types.ActionKind
import io.takeup.core.types.AppView
import io.takeup.core.types.AssetKind
import io.takeup.core.types.ConnectionType
import io.takeup.core.types.ConnectionView
import io.takeup.core.types.HoldReason
import io.takeup.core.types.NetworkView
import io.takeup.core.types.NoteState
import io.takeup.core.types.Notice
import io.takeup.core.types.QueueBanner
import io.takeup.core.types.QueueMode
import io.takeup.core.types.RowState
import io.takeup.core.types.SectionKind
import io.takeup.core.types.SignInMethod
import io.takeup.core.types.UiAction
import java.io.File
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/**
 * The Android presentation layer against shared-ui-spec/spec.json: every state id and action id the
 * spec lists is mapped by [Present] (and nothing the spec does not list), and in each state every
 * action the spec offers becomes a control. Fails when the spec gains a state or action the app
 * does not render. Also checks that [Samples] covers every variant of the bindings' types, so the
 * mapped ids really are all the app knows.
 */
class SpecCoverageTest {
    @Suppress("UNCHECKED_CAST")
    private val spec: Map<String, Any?> by lazy { MiniJson.parse(specFile().readText()) as Map<String, Any?> }

    private fun specFile(): File {
        System.getProperty("takeup.specFile")?.let { return File(it) }
        var dir: File? = File("").absoluteFile
        while (dir != null) {
            val f = File(dir, "shared-ui-spec/spec.json")
            if (f.isFile) return f
            dir = dir.parentFile
        }
        fail("shared-ui-spec/spec.json not found (set -Dtakeup.specFile)")
        throw IllegalStateException()
    }

    @Suppress("UNCHECKED_CAST")
    private fun obj(vararg path: String): Map<String, Any?> {
        var cur: Any? = spec
        for (p in path) cur = (cur as? Map<String, Any?>)?.get(p) ?: fail("spec has no ${path.joinToString("/")}")
        return cur as Map<String, Any?>
    }

    @Suppress("UNCHECKED_CAST")
    private fun strings(v: Any?): List<String> = (v as? List<Any?>)?.map { it as String } ?: emptyList()

    private fun states(screen: String): Map<String, Any?> = obj("screens", screen, "states")

    @Suppress("UNCHECKED_CAST")
    private fun stateActions(screen: String, state: String): List<String> =
        strings((states(screen)[state] as Map<String, Any?>)["actions"])

    private fun kind(actionId: String): ActionKind =
        ActionKind.entries.firstOrNull { Present.actionId(it) == actionId }
            ?: fail("spec action '$actionId' is not an ActionKind the app maps").let { throw IllegalStateException() }

    private fun assertSameIds(what: String, spec: Collection<String>, app: Collection<String>) {
        val missing = spec.toSet() - app.toSet()
        val extra = app.toSet() - spec.toSet()
        assertTrue("$what: in the spec but not mapped by the app: $missing", missing.isEmpty())
        assertTrue("$what: mapped by the app but not in the spec: $extra", extra.isEmpty())
    }

    /** The nested variant classes of a generated sealed class (objects and data classes). */
    private fun variants(sealed: Class<*>): Set<Class<*>> =
        sealed.declaredClasses.filter { sealed.isAssignableFrom(it) && it != sealed }.toSet()

    @Test
    fun samplesCoverEveryVariantOfTheBindings() {
        assertEquals(variants(ConnectionView::class.java), Samples.connections.map { it.first.javaClass }.toSet())
        assertEquals(variants(NetworkView::class.java), Samples.networks.map { it.javaClass }.toSet())
        assertEquals(variants(QueueBanner::class.java), Samples.banners.map { it.javaClass }.toSet())
        assertEquals(variants(Notice::class.java), Samples.notices.map { it.javaClass }.toSet())
        assertEquals(variants(UiAction::class.java), Samples.uiActions.map { it.javaClass }.toSet())
        assertEquals(RowState.entries.toSet(), Samples.rows.map { it.state }.toSet())
        assertEquals(NoteState.entries.toSet(), Samples.notes.map { it.state }.toSet())
    }

    @Test
    fun connectionStatesAndTheirActions() {
        val spec = states("connection")
        assertSameIds("connection states", spec.keys, Samples.connections.map { Present.stateId(it.first) })
        for ((view, _) in Samples.connections) {
            val id = Present.stateId(view)
            val offered = stateActions("connection", id).map(::kind)
            val screen = Present.connection(view, Samples.header, offered)
            assertEquals(id, screen.stateId)
            for (k in offered) {
                when (k) {
                    ActionKind.CHOOSE_ACCOUNT ->
                        assertTrue("$id: account picker", (screen.picker as? Picker.Accounts)?.items?.all { it.intent is Intent.Dispatch } == true)
                    ActionKind.CHOOSE_PROJECT ->
                        assertTrue("$id: project picker", (screen.picker as? Picker.Projects)?.items?.all { it.intent is Intent.Dispatch } == true)
                    ActionKind.SEARCH_PROJECTS ->
                        assertEquals("$id: search", Intent.Dispatch(UiAction.SearchProjects("x")), (screen.picker as Picker.Projects).search("x"))
                    ActionKind.COMPLETE_SIGN_IN ->
                        assertEquals("$id: the redirect", Intent.Dispatch(UiAction.CompleteSignIn("u")), screen.completeSignIn!!("u"))
                    else -> assertTrue("$id: no control for ${Present.actionId(k)}", screen.buttons.any { it.kind == k })
                }
            }
        }
    }

    @Test
    fun networkBannerNoticeStates() {
        assertSameIds("network states", states("network").keys, Samples.networks.map { Present.network(it).stateId })
        assertSameIds("queue banner states", states("queue_banner").keys, Samples.banners.map { Present.banner(it).stateId })
        assertSameIds("notices", states("notice").keys, Samples.notices.map { Present.notice(it).stateId })
    }

    @Test
    fun fileRowStatesSectionsAndQueueActions() {
        val rowStates = states("file_row")
        assertSameIds("file row states", rowStates.keys, RowState.entries.map(Present::stateId))
        for (state in RowState.entries) {
            val id = Present.stateId(state)
            val offered = stateActions("file_row", id).map(::kind)
            val row = Present.row(Samples.row(42, state, offered))
            assertTrue("$id: state text", row.stateText.isNotBlank())
            for (k in offered) {
                if (k == ActionKind.TOGGLE_SELECT) {
                    assertEquals("$id: checkbox", Intent.Dispatch(UiAction.ToggleSelect(42)), row.toggle)
                } else {
                    val b = row.buttons.firstOrNull { it.kind == k } ?: fail("$id: no control for ${Present.actionId(k)}")
                    val action = ((b as Button).intent as Intent.Dispatch).action
                    assertTrue("$id: ${Present.actionId(k)} must carry the row id", action.toString().contains("42"))
                }
            }
        }
        assertSameIds("queue sections", strings(obj("screens", "queue")["sections"]), SectionKind.entries.map(Present::stateId))

        val queueActions = strings(obj("screens", "queue")["actions"]).map(::kind)
        val screen = Present.queue(Samples.queue(QueueMode.MANUAL, queueActions))
        for (k in queueActions) {
            when (k) {
                ActionKind.SET_AUTO, ActionKind.SET_MANUAL -> assertNotNull(screen.modeToggle)
                else -> assertTrue("queue: no control for ${Present.actionId(k)}", screen.buttons.any { it.kind == k })
            }
        }
        assertEquals(Intent.Dispatch(UiAction.SetMode(QueueMode.AUTO)), Present.queue(Samples.queue(QueueMode.MANUAL)).modeToggle)
        assertEquals(Intent.Dispatch(UiAction.SetMode(QueueMode.MANUAL)), Present.queue(Samples.queue(QueueMode.AUTO)).modeToggle)
    }

    @Test
    fun takeLogNoteStatesAndActions() {
        assertSameIds("note row states", states("note_row").keys, NoteState.entries.map(Present::stateId))
        for (n in Samples.notes) {
            val id = Present.stateId(n.state)
            val offered = stateActions("note_row", id).map(::kind)
            val model = Present.note(n.copy(actions = offered))
            for (k in offered) assertTrue("note $id: no control for ${Present.actionId(k)}", model.buttons.any { it.kind == k })
        }
        val clipActions = strings(obj("screens", "take_clip")["actions"]).map(::kind)
        val clip = Present.clip(Samples.clip.copy(actions = clipActions))
        for (k in clipActions) {
            val control = when (k) {
                ActionKind.LOG_TAKE -> clip.logTake
                ActionKind.TOGGLE_CIRCLE -> clip.toggleCircle
                ActionKind.ADD_NOTE -> clip.addNote
                else -> null
            }
            assertNotNull("take clip: no control for ${Present.actionId(k)}", control)
        }
        val logActions = strings(obj("screens", "take_log")["actions"]).map(::kind)
        val log = Present.takeLog(Samples.takeLog.copy(actions = logActions))
        for (k in logActions) {
            assertTrue("take log: no control for ${Present.actionId(k)}", k == ActionKind.ADD_TRIGGER && log.addTrigger != null)
        }
    }

    @Test
    @Suppress("UNCHECKED_CAST")
    fun everyActionIsMappedAndDispatchable() {
        val actions = obj("actions")
        assertSameIds("actions", actions.keys, ActionKind.entries.map(Present::actionId))
        val dispatched = mutableSetOf<String>()
        for ((id, def) in actions) {
            val d = def as Map<String, Any?>
            val k = kind(id)
            assertTrue(id, Present.label(k).isNotBlank())
            if (d["app"] == true) {
                // Opened by the app: a URL from the state that offers it.
                val context = when (k) {
                    ActionKind.OPEN_VERIFICATION_LINK -> Samples.showingCode
                    ActionKind.OPEN_HELP -> Samples.connections.first { it.first is ConnectionView.NoC2cAccounts }.first
                    ActionKind.OPEN_SIGN_IN -> Samples.signingIn
                    else -> fail("app action '$id' has no context in this test").let { throw IllegalStateException() }
                }
                assertTrue(id, Present.intent(k, connection = context) is Intent.OpenUrl)
            } else {
                dispatched += (d["dispatch"] as? String) ?: id
            }
        }
        // Every UiAction the app can send is one the spec lists, and the other way round.
        assertSameIds("dispatchable actions", dispatched, Samples.uiActions.map(Present::actionId))
    }

    @Test
    fun enumsTheAppShows() {
        val enums = obj("enums")
        assertSameIds("connection_type", strings(enums["connection_type"]), ConnectionType.entries.map { it.name.lowercase() })
        assertSameIds("hold_reason", strings(enums["hold_reason"]), HoldReason.entries.map(Present::stateId))
        assertSameIds("asset_kind", strings(enums["asset_kind"]), AssetKind.entries.map { it.name.lowercase() })
        assertSameIds("queue_mode", strings(enums["queue_mode"]), QueueMode.entries.map { it.name.lowercase() })
        assertSameIds("sign_in_method", strings(enums["sign_in_method"]), SignInMethod.entries.map { it.name.lowercase() })
        assertSameIds("note_state", strings(enums["note_state"]), NoteState.entries.map(Present::stateId))
    }

    @Test
    fun theAppViewFieldsAreAllUsed() {
        // AppView's fields in the spec are the ones Present.screen reads.
        val fields = obj("app_view", "fields").keys
        assertSameIds("app_view fields", fields, listOf("connection", "connection_header", "connection_actions", "network", "queue", "notices", "alert", "take_log"))
        val v: AppView = Samples.app()
        val s = Present.screen(v)
        assertEquals(v.alert, s.alert)
    }
}
