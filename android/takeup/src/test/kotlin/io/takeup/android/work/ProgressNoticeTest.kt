package io.takeup.android.work

import java.time.Instant
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Test

class ProgressNoticeTest {
    @Test
    fun bytesAndPercentAtMostEveryTwoSeconds() {
        val n = ProgressNotice()
        val t = Instant.parse("2026-01-01T00:00:00Z")
        assertEquals("3 files · 0 B of 4.00 GB · 0%", n.next(t, 3uL, 4_000_000_000uL))
        // Too soon: nothing, whatever changed.
        assertNull(n.next(t.plusMillis(1999), 3uL, 3_000_000_000uL))
        assertEquals("2 files · 1.00 GB of 4.00 GB · 25%", n.next(t.plusSeconds(2), 2uL, 3_000_000_000uL))
        // Unchanged: nothing.
        assertNull(n.next(t.plusSeconds(10), 2uL, 3_000_000_000uL))
        assertEquals("Finishing uploads…", n.next(t.plusSeconds(12), 0uL, 0uL))
    }
}
