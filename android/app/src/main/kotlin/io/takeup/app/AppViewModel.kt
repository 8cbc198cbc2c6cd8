package io.takeup.app

import android.app.Application
import android.net.Uri
import android.provider.OpenableColumns
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import io.takeup.android.engine.EngineHolder
import io.takeup.android.media.MediaTimes
import io.takeup.android.work.UploadScheduler
import io.takeup.app.present.Present
import io.takeup.app.present.Screen
import io.takeup.core.Subscription
import io.takeup.core.TakeupEngine
import io.takeup.core.TakeupException
import io.takeup.core.ViewListener
import io.takeup.core.ViewModel as EngineViewModel
import io.takeup.core.types.AppView
import io.takeup.core.types.EnqueueOptions
import io.takeup.core.types.QueueBanner
import io.takeup.core.types.UiAction
import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/** What the UI shows: the engine starting, failing to start, or its current screen. */
sealed interface UiState {
    data object Starting : UiState

    data class StartFailed(val message: String) : UiState

    data class Ready(val screen: Screen) : UiState
}

/**
 * Bridges the engine's view model to Compose: subscribes to its views (delivered on engine threads;
 * a StateFlow may be set from any thread), maps them with [Present], and dispatches the user's
 * intents. Kicks the upload worker when uploads start, so they go on in the background.
 */
class AppViewModel(app: Application) : AndroidViewModel(app) {
    private val _state = MutableStateFlow<UiState>(UiState.Starting)
    val state: StateFlow<UiState> = _state

    private var engine: TakeupEngine? = null
    private var viewModel: EngineViewModel? = null
    private var subscription: Subscription? = null
    @Volatile
    private var wasUploading = false

    init {
        start()
    }

    fun start() {
        _state.value = UiState.Starting
        viewModelScope.launch {
            try {
                val e = EngineHolder.get(getApplication())
                val vm = e.viewModel()
                engine = e
                viewModel = vm
                subscription?.cancel()
                subscription = vm.subscribe(object : ViewListener {
                    override fun onView(view: AppView) = show(view)
                })
                show(vm.current())
            } catch (e: TakeupException) {
                _state.value = UiState.StartFailed(e.message ?: "The engine could not start.")
            } catch (e: kotlinx.coroutines.CancellationException) {
                throw e
            } catch (e: Exception) {
                _state.value = UiState.StartFailed("The engine could not start (${e.javaClass.simpleName}).")
            } catch (e: UnsatisfiedLinkError) {
                _state.value = UiState.StartFailed("The engine library is missing from this build.")
            }
        }
    }

    private fun show(view: AppView) {
        _state.value = UiState.Ready(Present.screen(view))
        val uploading = view.queue.banner is QueueBanner.Uploading
        if (uploading && !wasUploading) UploadScheduler.kick(getApplication())
        wasUploading = uploading
    }

    /** A control was used. URLs are opened by the Activity; the rest goes to the engine. */
    fun dispatch(action: UiAction) {
        viewModel?.dispatch(action)
    }

    /**
     * The browser came back to the app's redirect URI (MainActivity received it): hand the whole
     * URL to the engine, which checks its state and trades the code.
     */
    fun completeSignIn(redirectUrl: String) {
        dispatch(UiAction.CompleteSignIn(redirectUrl))
    }

    /** The app came to the foreground: the engine re-reads the device (project name, pause). */
    fun appForeground() {
        val e = engine ?: return
        viewModelScope.launch { e.appForeground() }
    }

    /**
     * Files picked with the system picker: copied into the app's media folder (the engine uploads
     * from paths it can re-open after a restart) and enqueued.
     */
    fun addFiles(uris: List<Uri>) {
        val e = engine ?: return
        val app = getApplication<Application>()
        viewModelScope.launch {
            for (uri in uris) {
                val file = withContext(Dispatchers.IO) { runCatching { copyIn(app, uri) }.getOrNull() } ?: continue
                runCatching { e.enqueue(file.path, EnqueueOptions(kind = null, top = false, growing = false, name = file.name, channel = 0u)) }
            }
            UploadScheduler.kick(app)
        }
    }

    private fun copyIn(app: Application, uri: Uri): File {
        val name = app.contentResolver.query(uri, arrayOf(OpenableColumns.DISPLAY_NAME), null, null, null)?.use { c ->
            if (c.moveToFirst()) c.getString(0) else null
        } ?: "media-${System.currentTimeMillis()}"
        val dir = File(app.getExternalFilesDir(null) ?: app.filesDir, "media").apply { mkdirs() }
        var target = File(dir, name.replace('/', '_'))
        var n = 1
        while (target.exists()) target = File(dir, "${n++}-${name.replace('/', '_')}")
        app.contentResolver.openInputStream(uri)!!.use { input -> target.outputStream().use { input.copyTo(it) } }
        // Keep the original time: the engine's pause rule (`offset`) is computed from it.
        val original = MediaTimes.originalMillis(
            longColumn(app, uri, "last_modified"),
            longColumn(app, uri, "datetaken"),
            longColumn(app, uri, "date_modified"),
        )
        if (original != null) target.setLastModified(original)
        return target
    }

    /** One numeric column of a content URI, null when the provider has no such column or value. */
    private fun longColumn(app: Application, uri: Uri, column: String): Long? = runCatching {
        app.contentResolver.query(uri, arrayOf(column), null, null, null)?.use { c ->
            if (c.moveToFirst() && !c.isNull(0)) c.getLong(0) else null
        }
    }.getOrNull()

    override fun onCleared() {
        subscription?.cancel()
        subscription = null
        viewModel = null
    }
}
