//! How many part PUTs run at once, tuned from measured throughput.
//!
//! One TCP connection on a long, lossy path carries a fraction of the link (on 80 ms with 1 % loss,
//! a few Mbit/s), while on a clean LAN a handful saturate it and more only add contention. So the
//! uploader climbs a hill: it measures the bytes sent in fixed windows while the limit is what
//! holds uploads back, raises the limit (by half) while each raise brings at least
//! [`GAIN`] more throughput, returns to the best limit when a raise brings nothing, holds there for
//! [`HOLD`], then probes one step higher again (links change: Wi-Fi to cellular, a congested
//! cell). Throttling answers from the storage (503 SlowDown) halve the limit at once.
//!
//! Pure logic: time comes in as arguments, so the tests drive it deterministically.

use std::time::{Duration, Instant};

/// Measurement window.
pub const WINDOW: Duration = Duration::from_secs(4);
/// A raise must bring this much more throughput to count.
pub const GAIN: f64 = 1.10;
/// How long to stay at the best limit before probing again.
pub const HOLD: Duration = Duration::from_secs(30);

/// The controller's state.
#[derive(Debug, Clone)]
pub struct Adaptive {
    min: usize,
    max: usize,
    limit: usize,
    window_start: Option<Instant>,
    window_bytes: u64,
    /// Whether uploads wanted more parts than the limit during this window.
    saturated: bool,
    /// The last window's limit and rate, when it was saturated.
    previous: Option<(usize, f64)>,
    /// The best (limit, rate) seen since the last hold.
    best: Option<(usize, f64)>,
    hold_until: Option<Instant>,
}

impl Adaptive {
    /// Start at `start` parts, moving within `min..=max`.
    pub fn new(start: usize, min: usize, max: usize) -> Self {
        let min = min.max(1);
        let max = max.max(min);
        Self {
            min,
            max,
            limit: start.clamp(min, max),
            window_start: None,
            window_bytes: 0,
            saturated: false,
            previous: None,
            best: None,
            hold_until: None,
        }
    }

    /// Parts that may be in flight now (over all files).
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes went out.
    pub fn on_bytes(&mut self, n: u64, now: Instant) {
        self.window_start.get_or_insert(now);
        self.window_bytes += n;
    }

    /// Uploads wanted `wanted` parts in flight; the limit held them back if more than it.
    pub fn on_demand(&mut self, wanted: usize, now: Instant) {
        self.window_start.get_or_insert(now);
        if wanted > self.limit {
            self.saturated = true;
        }
    }

    /// The storage asked to slow down: halve the limit and hold.
    pub fn on_throttled(&mut self, now: Instant) {
        self.limit = (self.limit / 2).max(self.min);
        self.best = None;
        self.previous = None;
        self.hold_until = Some(now + HOLD);
        self.reset_window(now);
    }

    fn reset_window(&mut self, now: Instant) {
        self.window_start = Some(now);
        self.window_bytes = 0;
        self.saturated = false;
    }

    /// Close the window if it is over; returns whether the limit changed.
    pub fn tick(&mut self, now: Instant) -> bool {
        let Some(start) = self.window_start else {
            return false;
        };
        let elapsed = now.saturating_duration_since(start);
        if elapsed < WINDOW {
            return false;
        }
        let rate = self.window_bytes as f64 / elapsed.as_secs_f64();
        let saturated = self.saturated;
        self.reset_window(now);
        if !saturated {
            // Not limited by concurrency: the measurement says nothing about the limit.
            self.previous = None;
            return false;
        }
        if let Some(until) = self.hold_until {
            if now < until {
                return false;
            }
            // Probe one step above the best again.
            self.hold_until = None;
            self.previous = Some((self.limit, rate));
            self.best = Some((self.limit, rate));
            return self.raise();
        }
        if self.best.is_none_or(|(_, r)| rate > r) {
            self.best = Some((self.limit, rate));
        }
        let before = self.limit;
        match self.previous {
            // The last raise paid off (or this is the first window): raise again.
            None => {
                self.previous = Some((self.limit, rate));
                self.raise();
            }
            Some((prev_limit, prev_rate)) if self.limit > prev_limit => {
                if rate >= prev_rate * GAIN {
                    self.previous = Some((self.limit, rate));
                    self.raise();
                } else {
                    // No gain: back to the best limit seen, hold there.
                    self.limit = self.best.map_or(prev_limit, |(l, _)| l).min(self.limit);
                    self.previous = None;
                    self.best = None;
                    self.hold_until = Some(now + HOLD);
                }
            }
            Some(_) => {
                self.previous = Some((self.limit, rate));
                self.raise();
            }
        }
        self.limit != before
    }

    fn raise(&mut self) -> bool {
        let next = (self.limit + self.limit.div_ceil(2)).min(self.max);
        let changed = next != self.limit;
        self.limit = next;
        if !changed {
            self.hold_until = Some(self.window_start.unwrap_or_else(Instant::now) + HOLD);
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simulate a link where each connection carries `per_conn` bytes/s up to `cap` in all.
    fn run(per_conn: f64, cap: f64, windows: usize) -> Vec<usize> {
        let mut a = Adaptive::new(4, 2, 32);
        let mut now = Instant::now();
        let mut limits = vec![a.limit()];
        for _ in 0..windows {
            let rate = (per_conn * a.limit() as f64).min(cap);
            let steps = 8;
            for _ in 0..steps {
                a.on_demand(100, now);
                now += WINDOW / steps;
                a.on_bytes((rate * (WINDOW / steps).as_secs_f64()) as u64, now);
            }
            a.tick(now);
            limits.push(a.limit());
        }
        limits
    }

    #[test]
    fn a_lossy_long_link_gets_many_connections() {
        // 1.8 Mbit/s per connection, 50 Mbit/s link: about 28 connections fill it.
        let limits = run(225_000.0, 6_250_000.0, 20);
        let top = *limits.iter().max().unwrap();
        assert!(top >= 28, "{limits:?}");
        assert!(*limits.last().unwrap() >= 28, "{limits:?}");
    }

    #[test]
    fn a_clean_link_stays_low_and_settles() {
        // Each connection alone nearly fills the link: raising brings nothing.
        let limits = run(5_000_000.0, 6_250_000.0, 10);
        assert_eq!(limits[0], 4);
        assert!(limits.iter().all(|l| *l <= 6), "{limits:?}");
        // It only leaves 4 to probe (once per hold).
        let at_four = limits.iter().filter(|l| **l == 4).count();
        assert!(at_four >= limits.len() - 2, "{limits:?}");
    }

    #[test]
    fn unsaturated_windows_change_nothing() {
        let mut a = Adaptive::new(4, 2, 32);
        let mut now = Instant::now();
        for _ in 0..5 {
            a.on_demand(2, now);
            a.on_bytes(1_000_000, now);
            now += WINDOW;
            assert!(!a.tick(now));
        }
        assert_eq!(a.limit(), 4);
    }

    #[test]
    fn throttling_halves_and_holds() {
        let mut a = Adaptive::new(16, 2, 32);
        let now = Instant::now();
        a.on_throttled(now);
        assert_eq!(a.limit(), 8);
        a.on_demand(100, now);
        a.on_bytes(10_000_000, now);
        assert!(!a.tick(now + WINDOW), "held");
        assert_eq!(a.limit(), 8);
        a.on_throttled(now);
        a.on_throttled(now);
        a.on_throttled(now);
        assert_eq!(a.limit(), 2, "never below the minimum");
    }

    #[test]
    fn after_a_hold_it_probes_again() {
        let mut a = Adaptive::new(4, 2, 32);
        let mut now = Instant::now();
        // Flat link: settles at 4 and holds.
        for _ in 0..3 {
            a.on_demand(100, now);
            a.on_bytes(4_000_000, now);
            now += WINDOW;
            a.tick(now);
        }
        assert_eq!(a.limit(), 4);
        now += HOLD;
        a.on_demand(100, now);
        a.on_bytes(4_000_000, now);
        now += WINDOW;
        assert!(a.tick(now), "probes after the hold");
        assert_eq!(a.limit(), 6);
    }
}
