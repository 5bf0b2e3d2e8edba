//! Prometheus metrics, kept by hand: request counts and latency histograms by route and
//! status, scores served, the active model.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The metrics of one server.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    scores: AtomicU64,
    panics: AtomicU64,
}

impl Metrics {
    /// Records a finished request (`route` is the matched route template, never a raw path:
    /// paths may hold identifiers).
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .expect("not poisoned")
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let mut lat = self.latency.lock().expect("not poisoned");
        let h = lat.entry(route.to_owned()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// Records a handler that panicked (answered as a JSON 500).
    pub fn panicked(&self) {
        self.panics.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request whose duration is not known (an answer made outside the route:
    /// a timeout, a body refused by its length, a panic); the latency histogram is left
    /// alone rather than given a made-up duration.
    pub fn count(&self, method: &str, route: &str, status: u16) {
        *self
            .requests
            .lock()
            .expect("not poisoned")
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
    }

    /// Records `n` scores served.
    pub fn scored(&self, n: u64) {
        self.scores.fetch_add(n, Ordering::Relaxed);
    }

    /// The text exposition format.
    #[must_use]
    pub fn render(&self, model_version: Option<&str>) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP vigie_http_requests_total HTTP requests by method, route and status."
        );
        let _ = writeln!(s, "# TYPE vigie_http_requests_total counter");
        for ((m, r, st), n) in self.requests.lock().expect("not poisoned").iter() {
            let _ = writeln!(
                s,
                "vigie_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{st}\"}} {n}"
            );
        }
        let _ = writeln!(s, "# HELP vigie_http_request_duration_seconds Request latency by route.");
        let _ = writeln!(s, "# TYPE vigie_http_request_duration_seconds histogram");
        for (r, h) in self.latency.lock().expect("not poisoned").iter() {
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "vigie_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                s,
                "vigie_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ =
                writeln!(s, "vigie_http_request_duration_seconds_sum{{route=\"{r}\"}} {}", h.sum);
            let _ = writeln!(
                s,
                "vigie_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(s, "# HELP vigie_scores_served_total Scores computed by POST /v1/score.");
        let _ = writeln!(s, "# TYPE vigie_scores_served_total counter");
        let _ = writeln!(s, "vigie_scores_served_total {}", self.scores.load(Ordering::Relaxed));
        let _ = writeln!(s, "# HELP vigie_http_panics_total Handlers that panicked (a bug).");
        let _ = writeln!(s, "# TYPE vigie_http_panics_total counter");
        let _ = writeln!(s, "vigie_http_panics_total {}", self.panics.load(Ordering::Relaxed));
        let _ = writeln!(s, "# HELP vigie_model_info The active model (1 when loaded).");
        let _ = writeln!(s, "# TYPE vigie_model_info gauge");
        if let Some(v) = model_version {
            let _ = writeln!(s, "vigie_model_info{{version=\"{v}\"}} 1");
        }
        s
    }
}
