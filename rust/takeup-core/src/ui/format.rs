//! Display text shared by both apps: sizes, rates, durations. English only for now; both UIs show
//! these strings as they are, so Android and iOS read the same.

/// `0 B`, `999 B`, `1.5 KB`, `12.3 MB`, `4.00 GB` (decimal units, like the platforms' file sizes).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 999.95 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if v < 10.0 {
        format!("{v:.2} {}", UNITS[unit])
    } else if v < 100.0 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

/// A transfer rate in bits per second, the unit networks are sold in: `48.2 Mbit/s`.
pub fn bits_per_second(bps: f64) -> String {
    if !bps.is_finite() || bps <= 0.0 {
        return "0 bit/s".into();
    }
    let (v, unit) = if bps >= 1e9 {
        (bps / 1e9, "Gbit/s")
    } else if bps >= 1e6 {
        (bps / 1e6, "Mbit/s")
    } else if bps >= 1e3 {
        (bps / 1e3, "kbit/s")
    } else {
        (bps, "bit/s")
    };
    if v < 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

/// A byte rate shown as bits per second.
pub fn byte_rate(bytes_per_second: f64) -> String {
    bits_per_second(bytes_per_second * 8.0)
}

/// `45 s`, `3 min 05 s`, `2 h 07 min`.
pub fn duration_secs(secs: u64) -> String {
    if secs < 60 {
        format!("{secs} s")
    } else if secs < 3600 {
        format!("{} min {:02} s", secs / 60, secs % 60)
    } else {
        format!("{} h {:02} min", secs / 3600, (secs % 3600) / 60)
    }
}

/// `1 file`, `3 files`.
pub fn files(n: u64) -> String {
    if n == 1 {
        "1 file".into()
    } else {
        format!("{n} files")
    }
}

/// Initials for an avatar placeholder: `Ada Lovelace` → `AL`, `ada@x.io` → `A`.
pub fn initials(name: &str, email: &str) -> String {
    let from_name: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if !from_name.is_empty() {
        return from_name;
    }
    email
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1000), "1.00 KB");
        assert_eq!(bytes(1_536_000), "1.54 MB");
        assert_eq!(bytes(12_345_678), "12.3 MB");
        assert_eq!(bytes(999_999_999), "1.00 GB");
        assert_eq!(bytes(4 * 1024 * 1024 * 1024), "4.29 GB");
        assert_eq!(bytes(u64::MAX), "18447 PB");
    }

    #[test]
    fn rates_and_durations() {
        assert_eq!(bits_per_second(0.0), "0 bit/s");
        assert_eq!(bits_per_second(f64::NAN), "0 bit/s");
        assert_eq!(bits_per_second(48_200_000.0), "48 Mbit/s");
        assert_eq!(byte_rate(1_000_000.0), "8.0 Mbit/s");
        assert_eq!(bits_per_second(1.2e9), "1.2 Gbit/s");
        assert_eq!(duration_secs(0), "0 s");
        assert_eq!(duration_secs(185), "3 min 05 s");
        assert_eq!(duration_secs(7620), "2 h 07 min");
        assert_eq!(files(1), "1 file");
        assert_eq!(files(0), "0 files");
    }

    #[test]
    fn avatar_initials() {
        assert_eq!(initials("Ada Lovelace", "ada@x.io"), "AL");
        assert_eq!(initials("  émile  zola bar", ""), "ÉZ");
        assert_eq!(initials("", "ada@x.io"), "A");
        assert_eq!(initials("", ""), "?");
    }
}
