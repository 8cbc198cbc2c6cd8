package io.takeup.android.work

import android.content.Context
import android.content.pm.ServiceInfo
import android.os.Build
import android.util.Log
import androidx.work.CoroutineWorker
import androidx.work.ForegroundInfo
import androidx.work.WorkInfo
import androidx.work.WorkerParameters
import io.takeup.android.engine.EngineHolder
import java.time.Instant
import kotlin.coroutines.coroutineContext
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlin.coroutines.cancellation.CancellationException

/**
 * Background uploads: runs `engine.runBackgroundWork(maxSeconds)` until the queue is done, held
 * for a reason only the user can change, or the system stops the worker. Decisions are in
 * [UploadWorkPolicy] (JVM-tested).
 *
 * - Enqueued by [UploadScheduler] as expedited work with a CONNECTED constraint.
 * - Promotes itself to a `dataSync` foreground service ([setForeground], notification with the
 *   files, bytes and percent, refreshed at most every 2 s by [ProgressNotice]) unless Android 15's 6 h / 24 h dataSync budget ran out recently
 *   ([UploadWorkPolicy.mayPromote]); while foreground it loops over 10-minute engine runs, else it
 *   does one 9-minute run (WorkManager's 10-minute limit) and chains the next request.
 * - Started in the background, where Android 12+ refuses the promotion, it promotes itself as
 *   soon as the app is visible ([UploadScheduler.visible]).
 * - [getForegroundInfo] serves expedited work on Android < 12 (WorkManager runs it as a
 *   foreground service) with the same type and notification.
 * - Stopped by the system (Android 15 foreground-service timeout → WorkManager 2.10 stops the
 *   worker with STOP_REASON_FOREGROUND_SERVICE_TIMEOUT): the coroutine is cancelled, the timeout is
 *   recorded so later runs stay plain, and WorkManager re-enqueues the work itself. The engine
 *   keeps every acknowledged part, so nothing is lost; uploads are NOT paused (pausing is the
 *   user's decision).
 */
class UploadWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {

    override suspend fun doWork(): Result {
        val engine = try {
            EngineHolder.get(applicationContext)
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            // Keystore or state dir not usable right now: try again later.
            Log.w(TAG, "upload worker: engine did not start: ${e.javaClass.simpleName}")
            return Result.retry()
        }
        val state = UploadScheduler.state(applicationContext)
        var foreground = false
        if (UploadWorkPolicy.mayPromote(Instant.now(), state.lastForegroundTimeout(), state.lastAppForeground())) {
            foreground = promote(engine.queueStatus().totals.filesRemaining)
        }
        // The notification follows the bytes (at most every 2 s); a worker started in the
        // background promotes itself once the app is visible (Android 12+ refuses it before).
        val notice = ProgressNotice()
        val progress = CoroutineScope(coroutineContext).launch {
            while (true) {
                delay(ProgressNotice.MIN_INTERVAL.toMillis())
                val t = engine.queueStatus().totals
                val text = notice.next(Instant.now(), t.filesRemaining, t.bytesRemaining) ?: continue
                if (foreground || UploadScheduler.visible.value) {
                    foreground = promoteWith(text) || foreground
                }
            }
        }
        try {
            while (true) {
                val result = engine.runBackgroundWork(UploadWorkPolicy.runSeconds(foreground))
                when (UploadWorkPolicy.afterRun(result, foreground)) {
                    WorkStep.SUCCESS -> return Result.success()
                    WorkStep.RETRY -> return Result.retry()
                    WorkStep.CONTINUE -> {
                        UploadScheduler.enqueueContinuation(applicationContext)
                        return Result.success()
                    }
                    WorkStep.RUN_AGAIN -> {
                        // Refresh the notification's count; keep going if that fails.
                        foreground = promote(result.remaining) || foreground
                    }
                }
            }
        } catch (e: CancellationException) {
            val cause = stopCause()
            if (cause == StopCause.FOREGROUND_SERVICE_TIMEOUT) state.recordForegroundTimeout(Instant.now())
            Log.i(TAG, "upload worker stopped: $cause (${UploadWorkPolicy.afterStop(cause)})")
            throw e
        } finally {
            progress.cancel()
        }
    }

    override suspend fun getForegroundInfo(): ForegroundInfo {
        val remaining = EngineHolder.peek()?.queueStatus()?.totals?.filesRemaining ?: 0uL
        return foregroundInfo(remaining)
    }

    private fun foregroundInfo(remaining: ULong): ForegroundInfo =
        foregroundInfo(UploadWorkPolicy.notificationText(remaining))

    private fun foregroundInfo(text: String): ForegroundInfo {
        val notification = UploadNotifications.progress(applicationContext, text)
        return if (Build.VERSION.SDK_INT >= 29) {
            ForegroundInfo(UploadNotifications.PROGRESS_ID, notification, ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC)
        } else {
            ForegroundInfo(UploadNotifications.PROGRESS_ID, notification)
        }
    }

    /** Become (or update) the foreground service; false when the system refuses. */
    private suspend fun promote(remaining: ULong): Boolean = promoteWith(UploadWorkPolicy.notificationText(remaining))

    private suspend fun promoteWith(text: String): Boolean = try {
        setForeground(foregroundInfo(text))
        true
    } catch (e: CancellationException) {
        throw e
    } catch (e: IllegalStateException) {
        // ForegroundServiceStartNotAllowedException (Android 12+: started from the background,
        // or the dataSync budget is spent) is an IllegalStateException.
        Log.i(TAG, "upload worker: runs without a foreground service (${e.javaClass.simpleName})")
        false
    } catch (e: SecurityException) {
        Log.w(TAG, "upload worker: foreground service not permitted")
        false
    }

    private fun stopCause(): StopCause {
        if (Build.VERSION.SDK_INT < 31) return StopCause.OTHER
        return when (stopReason) {
            WorkInfo.STOP_REASON_FOREGROUND_SERVICE_TIMEOUT -> StopCause.FOREGROUND_SERVICE_TIMEOUT
            WorkInfo.STOP_REASON_CANCELLED_BY_APP -> StopCause.CANCELLED_BY_APP
            else -> StopCause.OTHER
        }
    }

    private companion object {
        const val TAG = "takeup"
    }
}
