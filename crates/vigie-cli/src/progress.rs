//! Progress of a rescore: a bar on a terminal, structured log lines otherwise.

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
