// The foreground worker's progress notification: bytes and percent of the run, refreshed at most
// every 2 s (Android drops updates posted faster, and each costs a binder call).
package io.takeup.android.work

import io.takeup.android.format.Formats
import java.time.Duration
import java.time.Instant

class ProgressNotice(private val minInterval: Duration = MIN_INTERVAL) {
    private var baselineBytes = 0uL
    private var lastShownAt: Instant? = null
    private var lastText: String? = null

    /**
     * The text to show now, or null when the last one is younger than the interval or unchanged.
     * Percent is of the bytes this run has seen remaining at most (files added later raise it).
     */
    fun next(now: Instant, filesRemaining: ULong, bytesRemaining: ULong): String? {
        if (bytesRemaining > baselineBytes) baselineBytes = bytesRemaining
        val last = lastShownAt
        if (last != null && Duration.between(last, now) < minInterval) return null
        val text = text(filesRemaining, bytesRemaining)
        if (text == lastText) return null
        lastShownAt = now
        lastText = text
        return text
    }

    fun text(filesRemaining: ULong, bytesRemaining: ULong): String {
        if (filesRemaining == 0uL) return "Finishing uploads…"
        val total = baselineBytes.coerceAtLeast(bytesRemaining)
        val sent = total - bytesRemaining
        val percent = Formats.percent(sent, total) ?: 0
        return "${Formats.files(filesRemaining)} · ${Formats.bytes(sent)} of ${Formats.bytes(total)} · $percent%"
    }

    companion object {
        val MIN_INTERVAL: Duration = Duration.ofSeconds(2)
    }
}
