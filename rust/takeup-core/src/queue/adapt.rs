//! How many part PUTs run at once, tuned from measured throughput.
//!
//! One TCP connection on a long, lossy path carries a fraction of the link (on 80 ms with 1 % loss,
//! CUBIC, a few Mbit/s), while on a clean LAN a handful saturate it and more only add contention.
//! So the executor climbs a hill: it measures the bytes sent in fixed windows while the limit is
//! what holds uploads back, and raises the limit while each raise brings at least [`GAIN`] more
//! throughput. How it judges:
//!
//! - **Steady state only.** The window in which new connections started (slow start, then
//!   CUBIC's overshoot and first losses) says little about what they will carry: after a raise,
//!   [`RAISE_WARMUP`] windows are a warm-up and are not judged; the raise is judged by the
//!   window after them, against the steady rate before it.
//! - **Climbing fast where it pays.** When the per-connection rate stays about the same after a
//!   raise (the loss-limited regime: every connection adds its share), the next step doubles
//!   the limit; otherwise it grows by half.
//! - **Short holds first.** A raise that brings nothing returns to the best limit and holds
//!   there, briefly at first ([`FIRST_HOLD`]), doubling with each failed probe up to [`HOLD`];
//!   then it probes one step higher again (links change: Wi-Fi to cellular, a congested cell).
//! - Throttling answers from the storage (503 SlowDown) halve the limit at once.
//!
//! Pure logic: time comes in as arguments, so the tests drive it deterministically.

use std::time::{Duration, Instant};

/// Measurement window: long enough to average a loss-limited connection's saw-tooth on a long
/// path (a dozen round trips at 80 ms), short enough that the climb to the link rate costs
/// seconds, not a large share of a file.
pub const WINDOW: Duration = Duration::from_secs(1);
/// A raise must bring this much more throughput to count.
pub const GAIN: f64 = 1.10;
/// A raise whose per-connection rate stays above this share of the previous one scales linearly:
/// the next raise doubles.
const LINEAR: f64 = 0.85;
/// Windows after a raise that are not judged: a new CUBIC connection on a lossy path leaves slow
/// start within a second but takes a few more to reach its share (after its first loss it grows
/// along the cubic curve); judged after one window, a raise from 16 to 24 on the shaped link of
/// `scripts/bench-link` showed under 10 % gain twice where it brought about 25 %.
const RAISE_WARMUP: u8 = 2;
/// The first hold after a raise that brought nothing.
pub const FIRST_HOLD: Duration = Duration::from_secs(8);
/// The longest hold at the best limit before probing again.
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
    /// Windows still to skip as warm-up (connections just started): measured, not judged.
    warming: u8,
    /// The steady (limit, rate) the current raise is judged against.
    baseline: Option<(usize, f64)>,
    /// The best steady (limit, rate) seen since the last hold.
    best: Option<(usize, f64)>,
    hold_until: Option<Instant>,
    /// The next hold's length (doubles with each failed probe).
    next_hold: Duration,
    /// Parts that were leasable beyond the limit at the executor's last full lease round.
    backlog: usize,
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
            // The first window holds every connection's slow start.
            warming: 1,
            baseline: None,
            best: None,
            hold_until: None,
            next_hold: FIRST_HOLD,
            backlog: 0,
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

    /// The executor's lease round: `in_flight` parts out, `room` free slots, `got` parts leased
    /// into them, and `waiting` more leasable (asked only when every slot was filled). Between
    /// rounds in which a part finishes every slot stays taken and nothing is leased: the backlog
    /// seen at the last full round still stands, so the limit is still what holds uploads back.
    /// (On a slow path a part takes tens of seconds: most windows see no part finish at all.)
    pub fn on_round(
        &mut self,
        in_flight: usize,
        room: usize,
        got: usize,
        waiting: Option<usize>,
        now: Instant,
    ) {
        if room > 0 {
            self.backlog = if got == room { waiting.unwrap_or(0) } else { 0 };
        }
        self.on_demand(in_flight + self.backlog, now);
    }

    /// The storage asked to slow down: halve the limit and hold.
    pub fn on_throttled(&mut self, now: Instant) {
        self.limit = (self.limit / 2).max(self.min);
        self.best = None;
        self.baseline = None;
        self.hold_until = Some(now + HOLD);
        self.next_hold = HOLD;
        self.reset_window(now);
        self.warming = 1;
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
        let warming = self.warming > 0;
        self.warming = self.warming.saturating_sub(1);
        self.reset_window(now);
        if !saturated {
            // Not limited by concurrency: the measurement says nothing about the limit.
            self.baseline = None;
            self.warming = 1;
            return false;
        }
        if warming {
            return false;
        }
        if self.best.is_none_or(|(_, r)| rate > r) {
            self.best = Some((self.limit, rate));
        }
        if let Some(until) = self.hold_until {
            if now < until {
                return false;
            }
            // Probe one step above the best again, judged against this window.
            self.hold_until = None;
            self.baseline = Some((self.limit, rate));
            return self.raise(false);
        }
        let before = self.limit;
        match self.baseline {
            // A first steady window: raise (double: nothing says yet that the link is near
            // full), judged against it.
            None => {
                self.baseline = Some((self.limit, rate));
                self.raise(true);
            }
            Some((prev_limit, prev_rate)) if self.limit > prev_limit => {
                if rate >= prev_rate * GAIN {
                    let per_conn = rate / self.limit as f64;
                    let prev_per_conn = prev_rate / prev_limit.max(1) as f64;
                    self.baseline = Some((self.limit, rate));
                    self.next_hold = FIRST_HOLD;
                    self.raise(per_conn >= prev_per_conn * LINEAR);
                } else {
                    // No gain: back to the best limit seen, hold there.
                    self.limit = self.best.map_or(prev_limit, |(l, _)| l).min(self.limit);
                    self.baseline = None;
                    self.best = None;
                    self.hold_until = Some(now + self.next_hold);
                    self.next_hold = (self.next_hold * 2).min(HOLD);
                    self.warming = u8::from(self.limit != before);
                }
            }
            Some(_) => {
                self.baseline = Some((self.limit, rate));
                self.raise(false);
            }
        }
        self.limit != before
    }

    /// Raise the limit (double it when `fast`, else by half); the next window is a warm-up.
    fn raise(&mut self, fast: bool) -> bool {
        let step = if fast {
            self.limit
        } else {
            self.limit.div_ceil(2)
        };
        let next = (self.limit + step).min(self.max);
        let changed = next != self.limit;
        self.limit = next;
        if changed {
            self.warming = RAISE_WARMUP;
        } else {
            self.hold_until = Some(self.window_start.unwrap_or_else(Instant::now) + HOLD);
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A simulated link: each connection carries `per_conn` bytes/s up to `cap` in all, and a
    /// connection in its first window (slow start) only `ramp` of that.
    struct Link {
        per_conn: f64,
        cap: f64,
        ramp: f64,
    }

    /// Run the controller for `windows` windows; the limit after each, and the bytes sent.
    fn run(link: &Link, windows: usize) -> (Vec<usize>, f64) {
        let mut a = Adaptive::new(8, 2, 64);
        let mut now = Instant::now();
        let mut limits = vec![a.limit()];
        let mut established = 0usize;
        let mut sent = 0.0;
        for _ in 0..windows {
            let limit = a.limit();
            let fresh = limit.saturating_sub(established);
            let conns = (limit - fresh) as f64 + fresh as f64 * link.ramp;
            let rate = (link.per_conn * conns).min(link.cap);
            let steps = 8;
            for _ in 0..steps {
                a.on_demand(100, now);
                now += WINDOW / steps;
                let b = rate * (WINDOW / steps).as_secs_f64();
                sent += b;
                a.on_bytes(b as u64, now);
            }
            established = limit;
            a.tick(now);
            limits.push(a.limit());
        }
        (limits, sent)
    }

    /// CUBIC on 80 ms with 1 % loss: ~2.3 Mbit/s per connection, a 50 Mbit/s link; new
    /// connections carry half in their first window.
    fn lossy() -> Link {
        Link {
            per_conn: 290_000.0,
            cap: 6_250_000.0,
            ramp: 0.5,
        }
    }

    #[test]
    fn a_lossy_long_link_fills_within_seconds_despite_slow_starts() {
        let (limits, _) = run(&lossy(), 40);
        // About 22 connections fill the link; within 5 windows it has them, and keeps them.
        let at = limits.iter().position(|l| *l >= 22).expect("reaches 22");
        assert!(at <= 5, "{limits:?}");
        assert!(
            limits[at..].iter().all(|l| *l >= 22),
            "stays there: {limits:?}"
        );
    }

    #[test]
    fn a_clean_link_does_not_get_more_connections_than_a_probe() {
        // Each connection alone nearly fills the link: raising brings nothing.
        let link = Link {
            per_conn: 5_000_000.0,
            cap: 6_250_000.0,
            ramp: 0.5,
        };
        let (limits, _) = run(&link, 120);
        assert_eq!(limits[0], 8);
        assert!(
            limits.iter().all(|l| *l <= 16),
            "one probe step at most: {limits:?}"
        );
        // Probes get rarer (holds of 8, 16, then 30 s): in the last minute, at most 2 probes
        // of three windows each (two of warm-up, one judged).
        let probing = limits[60..].iter().filter(|l| **l > 8).count();
        assert!(probing <= 6, "{limits:?}");
    }

    #[test]
    fn the_first_window_and_the_windows_after_a_raise_are_not_judged() {
        let mut a = Adaptive::new(4, 2, 32);
        let mut now = Instant::now();
        let mut window = |a: &mut Adaptive, bytes: u64| {
            a.on_demand(100, now);
            a.on_bytes(bytes, now);
            now += WINDOW;
            a.tick(now)
        };
        assert!(!window(&mut a, 1_000_000), "warm-up: slow starts");
        assert!(window(&mut a, 4_000_000), "steady: raise, doubling");
        assert_eq!(a.limit(), 8);
        // The raise's own windows carry little (new connections ramping): not judged.
        assert!(!window(&mut a, 3_000_000));
        assert!(!window(&mut a, 2_000_000));
        assert_eq!(a.limit(), 8);
        // Steady at 8: every connection kept its share → linear: double again.
        assert!(window(&mut a, 8_000_000));
        assert_eq!(a.limit(), 16);
        assert!(!window(&mut a, 9_000_000), "warm-up");
        assert!(!window(&mut a, 9_000_000), "warm-up");
        // +50 % for twice the connections: a gain, but no longer linear: grow by half.
        assert!(window(&mut a, 12_000_000));
        assert_eq!(a.limit(), 24);
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
    fn failed_probes_hold_briefly_then_longer() {
        let mut a = Adaptive::new(4, 2, 32);
        let mut now = Instant::now();
        let mut window = |a: &mut Adaptive| {
            a.on_demand(100, now);
            a.on_bytes(4_000_000, now);
            now += WINDOW;
            a.tick(now);
            (a.limit(), now)
        };
        // Flat link: warm-up, raise to 8, two windows of warm-up, no gain → back to 4, hold 8 s.
        window(&mut a);
        assert_eq!(window(&mut a).0, 8);
        window(&mut a);
        window(&mut a);
        let (limit, at) = window(&mut a);
        assert_eq!(limit, 4);
        assert_eq!(a.hold_until, Some(at + FIRST_HOLD));
        // Warm-up after the step down, then held; the probe comes after 8 s, not 30.
        let mut probed = None;
        for _ in 0..20 {
            let (l, t) = window(&mut a);
            if l == 6 {
                probed = Some(t);
                break;
            }
        }
        let probed = probed.expect("probes again");
        assert!(
            probed.duration_since(at) <= FIRST_HOLD + 2 * WINDOW,
            "{:?}",
            probed.duration_since(at)
        );
        // It fails again (after its two windows of warm-up): the next hold is twice as long.
        window(&mut a);
        window(&mut a);
        let (limit, at) = window(&mut a);
        assert_eq!(limit, 4);
        assert_eq!(a.hold_until, Some(at + FIRST_HOLD * 2));
    }

    /// Parts that take longer than a window (a slow path: 8 MiB at ~2 Mbit/s is half a minute)
    /// leave every slot taken and nothing to lease in most windows; the backlog seen when the
    /// slots were filled still counts, so the limit climbs. (Reporting only the parts in flight
    /// between completions never showed saturation: the limit stayed at its start.)
    #[test]
    fn a_backlog_seen_when_slots_filled_keeps_counting_while_parts_are_slow() {
        let mut a = Adaptive::new(8, 2, 64);
        let mut now = Instant::now();
        let mut in_flight = 0;
        let mut sent_per_window = 0u64;
        for _ in 0..12 {
            let limit = a.limit();
            // A round fills the free slots (there are 200 parts queued); then rounds every half
            // window find every slot taken.
            let room = limit - in_flight;
            in_flight = limit;
            a.on_round(in_flight, room, room, (room > 0).then_some(200), now);
            for _ in 0..2 {
                now += WINDOW / 2;
                // Each connection carries the same rate (the loss-limited regime).
                sent_per_window = 250_000 * limit as u64;
                a.on_bytes(sent_per_window / 2, now);
                a.on_round(in_flight, 0, 0, None, now);
            }
            a.tick(now);
        }
        assert!(
            a.limit() >= 32,
            "the limit stayed at {} ({} B/s)",
            a.limit(),
            sent_per_window
        );
    }
}
