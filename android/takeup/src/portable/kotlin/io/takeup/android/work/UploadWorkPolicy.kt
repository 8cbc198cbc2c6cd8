// The upload worker's decisions, without WorkManager classes (JVM-tested): how long one engine run
// may take, what a BackgroundResult means for the work request, and whether a run may promote
// itself to a dataSync foreground service given Android 15's 6 h / 24 h limit.
package io.takeup.android.work

import io.takeup.core.types.BackgroundResult
import io.takeup.core.types.Hold
import java.time.Duration
import java.time.Instant

/** What the worker does after one `runBackgroundWork`. */
enum class WorkStep {
    /** Nothing more to do now (done, or held for a reason only the user can change). */
    SUCCESS,

    /** Run again in this same worker (only while it is a foreground service). */
    RUN_AGAIN,

    /** Finish this request and enqueue the next one right away (time budget used up). */
    CONTINUE,

    /** Let WorkManager retry later, with backoff and the network constraint (offline, errors). */
    RETRY,
}

/** Where an existing request of the unique upload work is (from `WorkInfo.State`). */
enum class WorkPhase {
    /** Running now. */
    RUNNING,

    /** Enqueued: waiting for its constraints (network) or sitting in retry backoff. */
    WAITING,

    /** Chained after the running one (APPEND): runs when it ends. */
    FOLLOW_UP,
}

/** How a new upload request joins the unique work (mirrors `ExistingWorkPolicy`). */
enum class KickPolicy { KEEP, REPLACE, APPEND_OR_REPLACE }

/** Why WorkManager stopped the worker (from `ListenableWorker.stopReason`). */
enum class StopCause { FOREGROUND_SERVICE_TIMEOUT, CANCELLED_BY_APP, OTHER }

object UploadWorkPolicy {
    /** Without a foreground service WorkManager gives a worker 10 minutes: stay well under. */
    const val PLAIN_RUN_SECONDS: UInt = 540u

    /**
     * One engine run while a foreground service: the worker loops over such runs, refreshing
     * its notification between them, until the queue is done or the system stops it.
     */
    const val FOREGROUND_RUN_SECONDS: UInt = 600u

    /** Android 15: dataSync foreground services may run 6 h in any 24 h while in the background. */
    val DATA_SYNC_WINDOW: Duration = Duration.ofHours(24)

    /**
     * How to enqueue a new upload request (files added, uploads resumed, paired) given the
     * unfinished requests of the unique work. A request waiting in retry backoff (or for its
     * constraints) is replaced, so new work starts now instead of after the backoff (KEEP ignored
     * the new request); a running one gets one follow-up chained after it (it may be deciding it
     * is done right now), unless one is already chained.
     */
    fun kickPolicy(existing: List<WorkPhase>): KickPolicy = when {
        WorkPhase.RUNNING in existing ->
            if (WorkPhase.FOLLOW_UP in existing) KickPolicy.KEEP else KickPolicy.APPEND_OR_REPLACE
        else -> KickPolicy.REPLACE
    }

    fun runSeconds(foreground: Boolean): UInt = if (foreground) FOREGROUND_RUN_SECONDS else PLAIN_RUN_SECONDS

    /** Holds that time cannot fix: the engine returns early and only the user changes them. */
    fun waitsForUser(hold: Hold?): Boolean =
        hold == Hold.PAUSED_BY_USER || hold == Hold.NOT_AUTHORIZED || hold == Hold.NOT_CONNECTED

    fun afterRun(result: BackgroundResult, foreground: Boolean): WorkStep = when {
        // Resume / pair / connect in the app enqueue the work again.
        waitsForUser(result.hold) -> WorkStep.SUCCESS
        !result.moreWork -> WorkStep.SUCCESS
        // Offline: give the slot back; the CONNECTED constraint re-runs the work on reconnect.
        result.hold == Hold.OFFLINE -> WorkStep.RETRY
        foreground -> WorkStep.RUN_AGAIN
        // Time budget used up but files still moving: chain a fresh request, no backoff.
        result.timedOut -> WorkStep.CONTINUE
        // More work but the run ended early without a hold (files waiting for a retry time).
        else -> WorkStep.RETRY
    }

    /**
     * After the system stopped the worker. WorkManager re-enqueues stopped (not cancelled) work by
     * itself; a foreground-service timeout also means this process may not promote again for a
     * while ([mayPromote]).
     */
    fun afterStop(cause: StopCause): WorkStep = when (cause) {
        StopCause.CANCELLED_BY_APP -> WorkStep.SUCCESS
        StopCause.FOREGROUND_SERVICE_TIMEOUT, StopCause.OTHER -> WorkStep.RETRY
    }

    /**
     * Whether a run may call `setForeground` (dataSync). Not after a foreground-service timeout in
     * the last 24 h unless the user opened the app since (that resets the limit); such runs stay
     * plain 9-minute runs instead of having the system refuse or kill the service.
     */
    fun mayPromote(now: Instant, lastTimeout: Instant?, lastAppForeground: Instant?): Boolean = when {
        lastTimeout == null -> true
        lastAppForeground != null && lastAppForeground.isAfter(lastTimeout) -> true
        else -> !now.isBefore(lastTimeout.plus(DATA_SYNC_WINDOW))
    }

    /** Notification text of a running upload: `Uploading 3 files…`. */
    fun notificationText(remaining: ULong): String = when (remaining) {
        0uL -> "Finishing uploads…"
        1uL -> "Uploading 1 file…"
        else -> "Uploading $remaining files…"
    }
}
