//! What the engine's types need at the FFI beyond their derives (feature `uniffi`): the
//! bindings' time type and file paths.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};

/// The engine's instants (`DateTime<Utc>`) cross as the platform's: Kotlin `java.time.Instant`,
/// Swift `Date` (UniFFI's timestamp). `Timestamp` is the name the bindings give the alias.
type Timestamp = DateTime<Utc>;

uniffi::custom_type!(Timestamp, SystemTime, {
    remote,
    lower: |t| t.into(),
    try_lift: |t| from_system_time(t),
});

// Paths cross as strings (the apps' file APIs take strings or build URLs from them). Every path
// the engine holds came from the app as a string (`enqueue`), so the lossy conversion never
// changes one.
uniffi::custom_type!(PathBuf, String, {
    remote,
    lower: |p| p.to_string_lossy().into_owned(),
    try_lift: |s| Ok(PathBuf::from(s)),
});

/// `SystemTime` to `DateTime<Utc>`, failing (instead of panicking) outside chrono's range.
fn from_system_time(t: SystemTime) -> uniffi::Result<DateTime<Utc>> {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (i64::try_from(d.as_secs()).ok(), d.subsec_nanos()),
        Err(e) => negative(e.duration()),
    };
    secs.and_then(|s| DateTime::from_timestamp(s, nanos))
        .ok_or_else(|| uniffi::deps::anyhow::anyhow!("time {t:?} is out of range"))
}

/// Seconds and nanoseconds (0..1e9) of `-d`.
fn negative(d: Duration) -> (Option<i64>, u32) {
    let secs = i64::try_from(d.as_secs()).ok().map(|s| -s);
    match d.subsec_nanos() {
        0 => (secs, 0),
        n => (secs.and_then(|s| s.checked_sub(1)), 1_000_000_000 - n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_through_system_time() {
        for ms in [0_i64, 1_700_000_000_123, -1, -1_500, -86_400_000_001] {
            let t = DateTime::from_timestamp_millis(ms).unwrap();
            let s: SystemTime = t.into();
            assert_eq!(from_system_time(s).unwrap(), t, "{ms}");
        }
    }

    #[test]
    fn out_of_range_times_are_errors_not_panics() {
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        assert!(from_system_time(far).is_err());
    }
}
