package io.takeup.android.media

import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Test

class MediaTimesTest {
    @Test
    fun theEarliestKnownOriginalTimeWins() {
        assertEquals(1_700_000_000_000, MediaTimes.originalMillis(1_700_000_500_000, 1_700_000_000_000, 1_700_000_600))
        assertEquals(1_600_000_000_000, MediaTimes.originalMillis(null, null, 1_600_000_000))
        assertEquals(5L, MediaTimes.originalMillis(5, 0, null))
        assertNull(MediaTimes.originalMillis(null, 0, -3))
        assertNull(MediaTimes.originalMillis(null, null, null))
    }
}
