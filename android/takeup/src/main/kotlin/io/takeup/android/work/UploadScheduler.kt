package io.takeup.android.work

import android.content.Context
import android.content.SharedPreferences
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequest
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.OutOfQuotaPolicy
import androidx.work.WorkInfo
import androidx.work.WorkManager
import java.time.Instant
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * Enqueues [UploadWorker] (unique work [WORK_NAME]): call [kick] when files were added, uploads
 * resumed, the device was paired or connected to a project, and at app start. Keeps the small
 * state the worker's foreground decision needs ([WorkState]).
 */
object UploadScheduler {
    const val WORK_NAME = "takeup-upload"
    private const val PREFS = "io.takeup.work"

    /**
     * Start background uploads now: a request waiting in retry backoff is replaced, a running
     * one gets one follow-up (UploadWorkPolicy.kickPolicy). Any thread: the decision reads
     * WorkManager's database on the scheduler's own thread (one kick at a time, so two kicks
     * never chain two follow-ups).
     */
    fun kick(context: Context) {
        val app = context.applicationContext
        kicks.execute { kickNow(app) }
    }

    private val kicks = Executors.newSingleThreadExecutor { r -> Thread(r, "takeup-upload-kick").apply { isDaemon = true } }

    private fun kickNow(context: Context) {
        val wm = WorkManager.getInstance(context)
        val phases = runCatching { wm.getWorkInfosForUniqueWork(WORK_NAME).get() }.getOrDefault(emptyList())
            .mapNotNull {
                when (it.state) {
                    WorkInfo.State.RUNNING -> WorkPhase.RUNNING
                    WorkInfo.State.ENQUEUED -> WorkPhase.WAITING
                    WorkInfo.State.BLOCKED -> WorkPhase.FOLLOW_UP
                    else -> null
                }
            }
        val policy = when (UploadWorkPolicy.kickPolicy(phases)) {
            KickPolicy.KEEP -> ExistingWorkPolicy.KEEP
            KickPolicy.REPLACE -> ExistingWorkPolicy.REPLACE
            KickPolicy.APPEND_OR_REPLACE -> ExistingWorkPolicy.APPEND_OR_REPLACE
        }
        wm.enqueueUniqueWork(WORK_NAME, policy, request())
    }

    /** The next run after this one finishes (chained: runs as soon as the current one succeeds). */
    fun enqueueContinuation(context: Context) {
        WorkManager.getInstance(context)
            .enqueueUniqueWork(WORK_NAME, ExistingWorkPolicy.APPEND_OR_REPLACE, request())
    }

    /**
     * The app came to the foreground: this resets Android 15's dataSync budget, and a worker that
     * runs without a foreground service (it was started in the background, where Android 12+
     * refuses the promotion) promotes itself now, while the app is visible.
     */
    fun appCameToForeground(context: Context) {
        state(context).recordAppForeground(Instant.now())
        visible.value = true
    }

    /** The app is no longer visible (Activity.onStop). */
    fun appLeftForeground() {
        visible.value = false
    }

    /** Whether the app is visible: a running worker may become a foreground service then. */
    val visible = kotlinx.coroutines.flow.MutableStateFlow(false)

    fun state(context: Context): WorkState =
        WorkState(context.applicationContext.getSharedPreferences(PREFS, Context.MODE_PRIVATE))

    private fun request(): OneTimeWorkRequest =
        OneTimeWorkRequestBuilder<UploadWorker>()
            .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
            .setExpedited(OutOfQuotaPolicy.RUN_AS_NON_EXPEDITED_WORK_REQUEST)
            .setBackoffCriteria(BackoffPolicy.LINEAR, 30, TimeUnit.SECONDS)
            .addTag(WORK_NAME)
            .build()
}

/** When a dataSync foreground service last timed out, and when the app was last in the foreground. */
class WorkState internal constructor(private val prefs: SharedPreferences) {
    fun lastForegroundTimeout(): Instant? = instant(KEY_TIMEOUT)

    fun lastAppForeground(): Instant? = instant(KEY_APP_FOREGROUND)

    fun recordForegroundTimeout(at: Instant) {
        prefs.edit().putLong(KEY_TIMEOUT, at.toEpochMilli()).apply()
    }

    fun recordAppForeground(at: Instant) {
        prefs.edit().putLong(KEY_APP_FOREGROUND, at.toEpochMilli()).apply()
    }

    private fun instant(key: String): Instant? =
        if (prefs.contains(key)) Instant.ofEpochMilli(prefs.getLong(key, 0)) else null

    private companion object {
        const val KEY_TIMEOUT = "fgs_timeout_at"
        const val KEY_APP_FOREGROUND = "app_foreground_at"
    }
}
