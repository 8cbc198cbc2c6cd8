package io.takeup.app

import android.app.Application
import io.takeup.android.engine.EngineHolder
import io.takeup.android.engine.EngineSettings
import io.takeup.android.engine.TakeupHost
import io.takeup.android.work.UploadNotifications
import io.takeup.android.work.UploadScheduler
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch

/**
 * Process start: the engine settings for [EngineHolder] (from BuildConfig), the notification
 * channel, and the engine started in the background so a queue left by a killed process resumes
 * (plus the upload worker for when the app goes away).
 */
class TakeupApplication : Application(), TakeupHost {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    override fun engineSettings(): EngineSettings = EngineSettings(
        apiBase = BuildConfig.TAKEUP_API_BASE,
        clientSecret = BuildConfig.TAKEUP_CLIENT_SECRET,
        clientVersion = EngineSettings.clientVersion(BuildConfig.VERSION_NAME),
        extraRootCaPem = BuildConfig.TAKEUP_EXTRA_CA_PEM.ifBlank { null },
        uploadHosts = BuildConfig.TAKEUP_UPLOAD_HOSTS.split(',').map { it.trim() }.filter { it.isNotEmpty() },
        appClientId = BuildConfig.TAKEUP_APP_CLIENT_ID.ifBlank { null },
        applicationsBase = BuildConfig.TAKEUP_APPLICATIONS_BASE.ifBlank { null },
    )

    override fun onCreate() {
        super.onCreate()
        UploadNotifications.ensureChannel(this)
        scope.launch {
            // A failure shows in the UI, which retries; the worker retries on its own too.
            runCatching { EngineHolder.get(this@TakeupApplication) }
                .onSuccess { UploadScheduler.kick(this@TakeupApplication) }
        }
    }
}
