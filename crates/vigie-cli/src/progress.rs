//! Progress of a rescore and of a training: a bar on a terminal, structured log lines
//! otherwise.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use vigie_batch::Event;

/// Renders [`Event`]s.
pub struct Progress {
    bar: Option<ProgressBar>,
    phase: Mutex<(&'static str, Instant)>,
}

impl Progress {
    /// A bar when stderr is a terminal, logs otherwise.
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(vigie_batch::PHASES.len() as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
                )
                .expect("valid template"),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        Self { bar, phase: Mutex::new(("start", Instant::now())) }
    }

    /// Shows one event.
    pub fn event(&self, e: Event) {
        match e {
            Event::Phase(name) => {
                let mut phase = self.phase.lock().expect("not poisoned");
                let step = vigie_batch::PHASES.iter().position(|p| *p == name).unwrap_or(0);
                if let Some(bar) = &self.bar {
                    bar.set_position(step as u64);
                    bar.set_message(name);
                } else {
                    tracing::info!(
                        phase = name,
                        step = step + 1,
                        of = vigie_batch::PHASES.len(),
                        previous = phase.0,
                        previous_seconds = phase.1.elapsed().as_secs_f64(),
                        "rescore phase"
                    );
                }
                *phase = (name, Instant::now());
            }
            Event::Rows { phase, done, total } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(format!("{phase} {done}/{total}"));
                } else {
                    tracing::debug!(phase, done, total, "rows");
                }
            }
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Renders the steps of `vigie train`, with a rough estimate of the time left (the mean
/// time of the steps done so far, times the steps left: fits grow with their windows, so
/// it is a floor more than an estimate).
pub struct TrainProgress {
    bar: Option<ProgressBar>,
    started: Instant,
    last: Mutex<Instant>,
}

impl TrainProgress {
    /// A bar when stderr is a terminal, logs otherwise.
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(1);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
                )
                .expect("valid template"),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Self { bar, started: now, last: Mutex::new(now) }
    }

    /// Shows a step as it starts.
    pub fn step(&self, s: &vigie_train::train::Step) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let done = s.step.saturating_sub(1);
        let left = (done > 0).then(|| elapsed / done as f64 * (s.of - done) as f64);
        let mut last = self.last.lock().expect("not poisoned");
        if let Some(bar) = &self.bar {
            bar.set_length(s.of as u64);
            bar.set_position(done as u64);
            let eta = left.map_or_else(String::new, |l| format!(" (about {l:.0} s left)"));
            bar.set_message(format!("{}{eta}", s.what));
        } else {
            tracing::info!(
                step = s.step,
                of = s.of,
                previous_seconds = last.elapsed().as_secs_f64(),
                elapsed_seconds = elapsed,
                about_seconds_left = left,
                "training: {}",
                s.what
            );
        }
        *last = Instant::now();
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
