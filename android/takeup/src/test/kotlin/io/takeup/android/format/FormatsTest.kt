package io.takeup.android.format

import java.time.Instant
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Test

/** The same vectors as rust/takeup-core/src/ui/format.rs, so both apps read alike. */
class FormatsTest {
    @Test
    fun sizesMatchTheEngine() {
        assertEquals("0 B", Formats.bytes(0uL))
        assertEquals("999 B", Formats.bytes(999uL))
        assertEquals("1.00 KB", Formats.bytes(1000uL))
        assertEquals("1.54 MB", Formats.bytes(1_536_000uL))
        assertEquals("12.3 MB", Formats.bytes(12_345_678uL))
        assertEquals("1.00 GB", Formats.bytes(999_999_999uL))
        assertEquals("4.29 GB", Formats.bytes(4uL * 1024uL * 1024uL * 1024uL))
        assertEquals("18447 PB", Formats.bytes(ULong.MAX_VALUE))
        assertEquals("0 B", Formats.bytes(-5L))
    }

    @Test
    fun ratesAndDurationsMatchTheEngine() {
        assertEquals("0 bit/s", Formats.bitsPerSecond(0.0))
        assertEquals("0 bit/s", Formats.bitsPerSecond(Double.NaN))
        assertEquals("48 Mbit/s", Formats.bitsPerSecond(48_200_000.0))
        assertEquals("8.0 Mbit/s", Formats.byteRate(1_000_000.0))
        assertEquals("1.2 Gbit/s", Formats.bitsPerSecond(1.2e9))
        assertEquals("0 s", Formats.durationSecs(0))
        assertEquals("3 min 05 s", Formats.durationSecs(185))
        assertEquals("2 h 07 min", Formats.durationSecs(7620))
        assertEquals("1 file", Formats.files(1uL))
        assertEquals("0 files", Formats.files(0uL))
    }

    @Test
    fun roundingFollowsTheExactBinaryValueLikeRust() {
        // 1.005 is 1.00499999999999989… in binary: Rust prints "1.00" (String.format: "1.01").
        assertEquals("1.00 KB", Formats.bytes(1005uL))
        // 1.125 is exact: ties to even ("1.12"), as Rust's formatter does.
        assertEquals("1.12 KB", Formats.bytes(1125uL))
    }

    @Test
    fun avatarInitials() {
        assertEquals("AL", Formats.initials("Ada Lovelace", "ada@x.io"))
        assertEquals("ÉZ", Formats.initials("  émile  zola bar", ""))
        assertEquals("A", Formats.initials("", "ada@x.io"))
        assertEquals("?", Formats.initials("", ""))
    }

    @Test
    fun pairingCountdown() {
        val exp = Instant.parse("2025-01-01T10:05:00Z")
        assertEquals("5:00", Formats.countdown(exp, Instant.parse("2025-01-01T10:00:00Z")))
        // Rounded up: 4:59.1 left still reads 5:00, 4:58.5 reads 4:59.
        assertEquals("5:00", Formats.countdown(exp, Instant.parse("2025-01-01T10:00:00.900Z")))
        assertEquals("4:59", Formats.countdown(exp, Instant.parse("2025-01-01T10:00:01.500Z")))
        assertEquals("0:01", Formats.countdown(exp, Instant.parse("2025-01-01T10:04:59.999Z")))
        assertEquals("expired", Formats.countdown(exp, exp))
        assertEquals("expired", Formats.countdown(exp, exp.plusSeconds(30)))
        assertEquals("1:00:00", Formats.countdown(exp, exp.minusSeconds(3600)))
    }

    @Test
    fun percent() {
        assertNull(Formats.percent(5uL, null))
        assertNull(Formats.percent(5uL, 0uL))
        assertEquals(50, Formats.percent(5uL, 10uL))
        assertEquals(100, Formats.percent(12uL, 10uL))
    }
}
