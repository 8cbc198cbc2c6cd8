package io.takeup.android.work

import io.takeup.core.types.BackgroundResult
import io.takeup.core.types.Hold
import java.time.Duration
import java.time.Instant
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

class UploadWorkPolicyTest {
    private fun result(remaining: ULong, timedOut: Boolean = false, hold: Hold? = null) =
        BackgroundResult(uploaded = 1uL, remaining = remaining, moreWork = remaining > 0uL, timedOut = timedOut, hold = hold)

    @Test
    fun finishedQueueIsSuccess() {
        assertEquals(WorkStep.SUCCESS, UploadWorkPolicy.afterRun(result(0uL), foreground = false))
        assertEquals(WorkStep.SUCCESS, UploadWorkPolicy.afterRun(result(0uL), foreground = true))
    }

    @Test
    fun holdsOnlyTheUserCanLiftEndTheWork() {
        for (hold in listOf(Hold.PAUSED_BY_USER, Hold.NOT_AUTHORIZED, Hold.NOT_CONNECTED)) {
            assertEquals(hold.name, WorkStep.SUCCESS, UploadWorkPolicy.afterRun(result(3uL, hold = hold), foreground = true))
            assertEquals(hold.name, WorkStep.SUCCESS, UploadWorkPolicy.afterRun(result(3uL, hold = hold), foreground = false))
        }
    }

    @Test
    fun offlineRetriesUnderTheNetworkConstraint() {
        assertEquals(WorkStep.RETRY, UploadWorkPolicy.afterRun(result(3uL, hold = Hold.OFFLINE), foreground = true))
        assertEquals(WorkStep.RETRY, UploadWorkPolicy.afterRun(result(3uL, timedOut = true, hold = Hold.OFFLINE), foreground = false))
    }

    @Test
    fun moreWorkLoopsInForegroundAndChainsOtherwise() {
        assertEquals(WorkStep.RUN_AGAIN, UploadWorkPolicy.afterRun(result(2uL, timedOut = true), foreground = true))
        assertEquals(WorkStep.CONTINUE, UploadWorkPolicy.afterRun(result(2uL, timedOut = true), foreground = false))
        // Ended early with files left (waiting for a retry time): back off.
        assertEquals(WorkStep.RETRY, UploadWorkPolicy.afterRun(result(2uL), foreground = false))
    }

    @Test
    fun runBudgets() {
        assertTrue(UploadWorkPolicy.runSeconds(false) < 600u)
        assertEquals(540u, UploadWorkPolicy.runSeconds(false))
        assertEquals(600u, UploadWorkPolicy.runSeconds(true))
    }

    @Test
    fun stops() {
        assertEquals(WorkStep.RETRY, UploadWorkPolicy.afterStop(StopCause.FOREGROUND_SERVICE_TIMEOUT))
        assertEquals(WorkStep.RETRY, UploadWorkPolicy.afterStop(StopCause.OTHER))
        assertEquals(WorkStep.SUCCESS, UploadWorkPolicy.afterStop(StopCause.CANCELLED_BY_APP))
    }

    @Test
    fun foregroundBudgetAfterAnAndroid15Timeout() {
        val t = Instant.parse("2025-06-01T08:00:00Z")
        assertTrue(UploadWorkPolicy.mayPromote(t, null, null))
        assertFalse(UploadWorkPolicy.mayPromote(t.plusSeconds(60), t, null))
        assertFalse(UploadWorkPolicy.mayPromote(t.plus(Duration.ofHours(23)), t, t.minusSeconds(5)))
        // The user opened the app after the timeout: the limit is reset.
        assertTrue(UploadWorkPolicy.mayPromote(t.plusSeconds(60), t, t.plusSeconds(30)))
        assertTrue(UploadWorkPolicy.mayPromote(t.plus(Duration.ofHours(24)), t, null))
    }

    @Test
    fun notificationText() {
        assertEquals("Uploading 1 file…", UploadWorkPolicy.notificationText(1uL))
        assertEquals("Uploading 12 files…", UploadWorkPolicy.notificationText(12uL))
        assertEquals("Finishing uploads…", UploadWorkPolicy.notificationText(0uL))
    }

    @Test
    fun aNewRequestIsNotIgnoredWhileTheLastOneWaitsInBackoff() {
        // Waiting in retry backoff (or for the network): replaced, so the new work starts now.
        assertEquals(KickPolicy.REPLACE, UploadWorkPolicy.kickPolicy(listOf(WorkPhase.WAITING)))
        assertEquals(KickPolicy.REPLACE, UploadWorkPolicy.kickPolicy(emptyList()))
        // Running: one follow-up chained (the run may be deciding it is done), never a second.
        assertEquals(KickPolicy.APPEND_OR_REPLACE, UploadWorkPolicy.kickPolicy(listOf(WorkPhase.RUNNING)))
        assertEquals(
            KickPolicy.KEEP,
            UploadWorkPolicy.kickPolicy(listOf(WorkPhase.RUNNING, WorkPhase.FOLLOW_UP)),
        )
    }
}
