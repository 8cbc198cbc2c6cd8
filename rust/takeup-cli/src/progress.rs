//! Terminal progress for the upload queue: an overall bar and one bar per file being uploaded,
//! plus a line for every file that finishes or fails (also when stderr is not a terminal).

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use takeup_core::{Hold, QueueStatus};

use crate::out::safe;

pub struct QueueProgress {
    multi: MultiProgress,
    total: ProgressBar,
    bars: HashMap<i64, ProgressBar>,
    reported: HashSet<(i64, String)>,
    last_hold: Option<Hold>,
    tty: bool,
}

pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

pub fn hold_text(h: &Hold) -> &'static str {
    match h {
        Hold::PausedByUser => "paused by the user",
        Hold::Offline => "waiting for the network",
        Hold::NotAuthorized => "not paired: run `takeup pair`",
        Hold::NotConnected => "not connected to a project: run `takeup connect`",
        Hold::Suspended => "suspended by the system",
        Hold::Insecure => {
            "cannot reach Frame.io securely (a network sign-in page, or a wrong clock?)"
        }
    }
}

impl QueueProgress {
    pub fn new(show_bars: bool) -> Self {
        let tty = show_bars && std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if tty {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let total = multi.add(ProgressBar::new(0));
        total.set_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{bar:40.green/white}] {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        total.set_prefix("total");
        Self {
            multi,
            total,
            bars: HashMap::new(),
            reported: HashSet::new(),
            last_hold: None,
            tty,
        }
    }

    /// Print a line above the bars (or plainly without a terminal).
    pub fn println(&self, line: impl AsRef<str>) {
        if self.tty {
            let _ = self.multi.println(line.as_ref());
        } else {
            errln!("{}", line.as_ref());
        }
    }

    pub fn update(&mut self, s: &QueueStatus) {
        if s.hold != self.last_hold {
            if let Some(h) = &s.hold {
                self.println(format!("queue on hold: {}", hold_text(h)));
            } else if self.last_hold.is_some() {
                self.println("queue running");
            }
            self.last_hold = s.hold.clone();
        }
        let done_bytes: u64 = s.completed.iter().map(|f| f.uploaded_bytes).sum();
        let sent: u64 = s.uploading.iter().map(|f| f.sent_bytes).sum();
        self.total
            .set_length(done_bytes + s.totals.bytes_remaining + sent.min(s.totals.bytes_remaining));
        self.total.set_position(done_bytes + sent);
        self.total.set_message(format!(
            "{} left, {} done, {} failed",
            s.totals.files_remaining,
            s.totals.done,
            s.totals.failed + s.totals.skipped
        ));
        let live: HashSet<i64> = s.uploading.iter().map(|f| f.id).collect();
        for f in &s.uploading {
            let bar = self.bars.entry(f.id).or_insert_with(|| {
                let b = self.multi.add(ProgressBar::new(0));
                b.set_style(
                    ProgressStyle::with_template(
                        "{prefix:>10} [{bar:40.cyan/blue}] {bytes}/{total_bytes} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                b.set_prefix(format!("#{}", f.id));
                b
            });
            bar.set_length(f.size.unwrap_or(f.sent_bytes.max(1)));
            bar.set_position(f.sent_bytes);
            let growing = if f.realtime { " (recording)" } else { "" };
            bar.set_message(format!(
                "{}{growing} {}/s",
                safe(&f.name),
                human_bytes(f.rate_bps as u64)
            ));
        }
        let gone: Vec<i64> = self
            .bars
            .keys()
            .filter(|id| !live.contains(id))
            .copied()
            .collect();
        for id in gone {
            if let Some(b) = self.bars.remove(&id) {
                b.finish_and_clear();
                self.multi.remove(&b);
            }
        }
        for f in &s.completed {
            if self.reported.insert((f.id, "done".into())) {
                self.println(format!(
                    "uploaded  #{} {} ({})",
                    f.id,
                    safe(&f.name),
                    human_bytes(f.uploaded_bytes)
                ));
            }
        }
        for f in &s.failed {
            let key = (f.id, format!("{:?}{}", f.state, f.attempts));
            if self.reported.insert(key) {
                self.println(format!(
                    "{:<9} #{} {}: {}",
                    format!("{:?}", f.state).to_lowercase(),
                    f.id,
                    safe(&f.name),
                    safe(f.reason.as_deref().unwrap_or("no reason given"))
                ));
            }
        }
    }

    /// Mark everything already finished as reported (so a new run only prints news).
    pub fn seen(&mut self, s: &QueueStatus) {
        for f in &s.completed {
            self.reported.insert((f.id, "done".into()));
        }
        for f in &s.failed {
            self.reported
                .insert((f.id, format!("{:?}{}", f.state, f.attempts)));
        }
    }

    pub fn finish(&self) {
        for b in self.bars.values() {
            b.finish_and_clear();
        }
        self.total.finish();
    }
}
