// Display text computed on the device (plain Kotlin, JVM-tested by scripts/test-kotlin.sh). The
// engine's view model already carries most labels; these cover what must tick on the device (the
// pairing code's expiry countdown) and mirror the engine's own formatting
// (rust/takeup-core/src/ui/format.rs) so both read the same: same units, same rounding.
package io.takeup.android.format

import java.math.BigDecimal
import java.math.RoundingMode
import java.time.Duration
import java.time.Instant
import java.util.Locale

object Formats {
    private val UNITS = arrayOf("KB", "MB", "GB", "TB", "PB")

    /** `0 B`, `999 B`, `1.54 MB`, `12.3 MB`, `4.29 GB` (decimal units, like the platform's file sizes). */
    fun bytes(n: ULong): String {
        if (n < 1000uL) return "$n B"
        var v = n.toDouble() / 1000.0
        var unit = 0
        while (v >= 999.95 && unit + 1 < UNITS.size) {
            v /= 1000.0
            unit++
        }
        return when {
            v < 10.0 -> "${fixed(v, 2)} ${UNITS[unit]}"
            v < 100.0 -> "${fixed(v, 1)} ${UNITS[unit]}"
            else -> "${fixed(v, 0)} ${UNITS[unit]}"
        }
    }

    fun bytes(n: Long): String = bytes(if (n < 0) 0uL else n.toULong())

    /** A rate in bits per second, the unit networks are sold in: `48 Mbit/s`, `8.0 Mbit/s`. */
    fun bitsPerSecond(bps: Double): String {
        if (!bps.isFinite() || bps <= 0.0) return "0 bit/s"
        val (v, unit) = when {
            bps >= 1e9 -> bps / 1e9 to "Gbit/s"
            bps >= 1e6 -> bps / 1e6 to "Mbit/s"
            bps >= 1e3 -> bps / 1e3 to "kbit/s"
            else -> bps to "bit/s"
        }
        return if (v < 10.0) "${fixed(v, 1)} $unit" else "${fixed(v, 0)} $unit"
    }

    /** A byte rate (the engine's `rate_bps` fields are bytes per second) shown as bits per second. */
    fun byteRate(bytesPerSecond: Double): String = bitsPerSecond(bytesPerSecond * 8.0)

    /** `45 s`, `3 min 05 s`, `2 h 07 min`. */
    fun durationSecs(secs: Long): String {
        val s = secs.coerceAtLeast(0)
        return when {
            s < 60 -> "$s s"
            s < 3600 -> "${s / 60} min ${pad2(s % 60)} s"
            else -> "${s / 3600} h ${pad2((s % 3600) / 60)} min"
        }
    }

    /** `1 file`, `3 files`. */
    fun files(n: ULong): String = if (n == 1uL) "1 file" else "$n files"

    /** Initials for an avatar placeholder: `Ada Lovelace` → `AL`, (no name, `ada@x.io`) → `A`. */
    fun initials(name: String, email: String): String {
        val fromName = name.split(Regex("\\s+"))
            .asSequence()
            .filter { it.isNotEmpty() }
            .map { it.codePointAt(0) }
            .filter { Character.isLetterOrDigit(it) }
            .take(2)
            .joinToString("") { String(Character.toChars(it)).uppercase(Locale.ROOT) }
        if (fromName.isNotEmpty()) return fromName
        val first = email.codePoints().filter { Character.isLetterOrDigit(it) }.findFirst()
        return if (first.isPresent) String(Character.toChars(first.asInt)).uppercase(Locale.ROOT) else "?"
    }

    /**
     * The pairing code's remaining time, recomputed every second on the device: `4:59`,
     * `1:02:03` past an hour, `expired` at or after [expiresAt].
     */
    fun countdown(expiresAt: Instant, now: Instant): String {
        val left = Duration.between(now, expiresAt)
        if (left.isNegative || left.isZero) return "expired"
        // Round up: show 0:01 during the last second, never 0:00 before expiry.
        val secs = (left.toMillis() + 999) / 1000
        val h = secs / 3600
        val m = (secs % 3600) / 60
        val s = secs % 60
        return if (h > 0) "$h:${pad2(m)}:${pad2(s)}" else "$m:${pad2(s)}"
    }

    /** Whole-percent progress of [done] out of [total]: 0..100, null when the total is unknown. */
    fun percent(done: ULong, total: ULong?): Int? {
        if (total == null || total == 0uL) return null
        val p = (done.toDouble() / total.toDouble() * 100.0).toInt()
        return p.coerceIn(0, 100)
    }

    // Rust's `{:.N}` rounds the exact binary value of the double, ties to even; BigDecimal(Double)
    // is that exact value (String.format would round its shortest decimal form half-up: 1.005 →
    // "1.01" where Rust prints "1.00").
    private fun fixed(v: Double, decimals: Int): String =
        BigDecimal(v).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString()

    private fun pad2(v: Long): String = if (v < 10) "0$v" else "$v"
}
