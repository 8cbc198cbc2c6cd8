// Text for sizes, rates, durations and countdowns. Plain Swift (no Apple frameworks): compiled and
// tested on Linux by scripts/test-swift.sh. Deterministic on purpose (no locale lookups), and the
// same rules as the engine's own texts (rust/takeup-core/src/ui/format.rs), so what the app
// formats itself reads like what the view model sends (and like the Android app).
import Foundation

public enum Format {
    /// A size in decimal units, as the platforms show file sizes: `0 B`, `999 B`, `1.00 KB`,
    /// `1.54 MB`, `12.3 MB`, `123 MB`, `4.29 GB` (three significant digits from 1 KB).
    public static func bytes(_ n: UInt64) -> String {
        let units = ["KB", "MB", "GB", "TB", "PB"]
        if n < 1000 { return "\(n) B" }
        var v = Double(n) / 1000
        var unit = 0
        while v >= 999.95 && unit + 1 < units.count {
            v /= 1000
            unit += 1
        }
        let digits = v < 10 ? 2 : v < 100 ? 1 : 0
        return "\(fixed(v, digits)) \(units[unit])"
    }

    /// A transfer rate in bits per second (networks are sold in Mbit/s, and the C2C floor is
    /// 50 Mbit/s): `0 bit/s`, `800 bit/s`, `8.0 Mbit/s`, `48 Mbit/s`, `1.2 Gbit/s`. Negative or
    /// non-finite values read as zero.
    public static func rate(bytesPerSecond: Double) -> String {
        bits(perSecond: bytesPerSecond * 8)
    }

    /// `bits(perSecond:)`: as `rate`, from bits per second (the network view's `throughput_bps`).
    public static func bits(perSecond bps: Double) -> String {
        guard bps.isFinite, bps > 0 else { return "0 bit/s" }
        let (v, unit): (Double, String) =
            bps >= 1e9 ? (bps / 1e9, "Gbit/s") : bps >= 1e6 ? (bps / 1e6, "Mbit/s")
            : bps >= 1e3 ? (bps / 1e3, "kbit/s") : (bps, "bit/s")
        return "\(fixed(v, v < 10 ? 1 : 0)) \(unit)"
    }

    /// A pairing code countdown: `4:59`, `12:00`, `1:02:03`; `0:00` once expired. Rounds up, so
    /// the display reaches `0:00` exactly when the code expires.
    public static func countdown(until deadline: Date, now: Date) -> String {
        let left = deadline.timeIntervalSince(now)
        let s = left.isFinite && left > 0 ? Int(left.rounded(.up)) : 0
        let h = s / 3600, m = (s % 3600) / 60, sec = s % 60
        return h > 0 ? "\(h):\(pad2(m)):\(pad2(sec))" : "\(m):\(pad2(sec))"
    }

    /// Seconds left before `deadline` (0 when past): drives the countdown's refresh and the
    /// "code expired" state.
    public static func secondsLeft(until deadline: Date, now: Date) -> Int {
        let left = deadline.timeIntervalSince(now)
        return left.isFinite && left > 0 ? Int(left.rounded(.up)) : 0
    }

    /// A duration: `45 s`, `3 min 05 s`, `2 h 07 min`.
    public static func duration(seconds: Double) -> String {
        let s = seconds.isFinite ? max(0, Int(seconds.rounded())) : 0
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(pad2(s % 60)) s" }
        return "\(s / 3600) h \(pad2((s % 3600) / 60)) min"
    }

    /// Time left for `bytesRemaining` at `bytesPerSecond` (`about 3 min`), or nil when there is
    /// nothing left or no rate to estimate from.
    public static func eta(bytesRemaining: UInt64, bytesPerSecond: Double) -> String? {
        guard bytesRemaining > 0, bytesPerSecond.isFinite, bytesPerSecond >= 1 else { return nil }
        return "about " + duration(seconds: Double(bytesRemaining) / bytesPerSecond)
    }

    /// A fraction in 0...1 as a whole percentage (`0%` .. `100%`); out-of-range values are
    /// clamped, NaN is 0. Never shows 100% before the end: 99.6% is `99%`.
    public static func percent(_ fraction: Double) -> String {
        "\(percentValue(fraction))%"
    }

    static func percentValue(_ fraction: Double) -> Int {
        guard fraction.isFinite else { return 0 }
        let f = min(1, max(0, fraction))
        return f >= 1 ? 100 : min(99, Int((f * 100).rounded(.down)))
    }

    /// `1 file`, `3 files` (the same for any noun with a plain `s` plural).
    public static func count(_ n: UInt64, _ singular: String, _ plural: String? = nil) -> String {
        n == 1 ? "1 \(singular)" : "\(n) \(plural ?? singular + "s")"
    }

    /// How long ago `date` was: `just now`, `40 s ago`, `3 min ago`, `2 h ago`, `5 d ago`.
    public static func ago(_ date: Date, now: Date) -> String {
        let s = now.timeIntervalSince(date)
        if !s.isFinite || s < 5 { return "just now" }
        return duration(seconds: s) + " ago"
    }

    // MARK: helpers

    private static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `v` with `digits` decimals (printf rounding, as Rust's `{:.N}`).
    private static func fixed(_ v: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", v)
    }
}
