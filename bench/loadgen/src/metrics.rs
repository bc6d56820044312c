//! Latency histograms (HDR, microsecond resolution) and their summaries.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;

/// The longest latency a histogram can hold; longer ones are clamped to it.
const MAX_MICROS: u64 = 120_000_000;

/// A latency histogram that many tasks record into.
#[derive(Clone)]
pub struct Latencies {
    inner: Arc<Mutex<Histogram<u64>>>,
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    pub fn new() -> Self {
        // Three significant digits from 1 µs to two minutes.
        let histogram =
            Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("constant histogram bounds");
        Self {
            inner: Arc::new(Mutex::new(histogram)),
        }
    }

    pub fn record(&self, latency: Duration) {
        let micros = (latency.as_micros() as u64).clamp(1, MAX_MICROS);
        if let Ok(mut h) = self.inner.lock() {
            // Saturating: a value above the bounds was clamped above, so this cannot fail.
            h.saturating_record(micros);
        }
    }

    pub fn summary(&self) -> Summary {
        match self.inner.lock() {
            Ok(h) => Summary::of(&h),
            Err(_) => Summary::default(),
        }
    }
}

/// Percentiles of one histogram, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Summary {
    fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Self {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
            mean_ms: h.mean() / 1000.0,
        }
    }
}

/// Counts failures and keeps the first few distinct messages for the report.
#[derive(Clone, Default)]
pub struct Errors {
    inner: Arc<Mutex<ErrorState>>,
}

#[derive(Default)]
struct ErrorState {
    count: u64,
    samples: Vec<String>,
}

impl Errors {
    pub fn record(&self, message: impl Into<String>) {
        if let Ok(mut state) = self.inner.lock() {
            state.count += 1;
            let message = message.into();
            if state.samples.len() < 3 && !state.samples.contains(&message) {
                state.samples.push(message);
            }
        }
    }

    pub fn count(&self) -> u64 {
        self.inner.lock().map(|s| s.count).unwrap_or(0)
    }

    /// The first distinct messages, joined.
    pub fn samples(&self) -> String {
        self.inner
            .lock()
            .map(|s| s.samples.join("; "))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_values() {
        let l = Latencies::new();
        for ms in 1..=1000u64 {
            l.record(Duration::from_millis(ms));
        }
        let s = l.summary();
        assert_eq!(s.count, 1000);
        assert!((s.p50_ms - 500.0).abs() < 1.0, "{s:?}");
        assert!((s.p99_ms - 990.0).abs() < 1.5, "{s:?}");
        assert!((s.max_ms - 1000.0).abs() < 1.5, "{s:?}");
    }

    #[test]
    fn errors_keep_distinct_samples() {
        let e = Errors::default();
        for _ in 0..5 {
            e.record("a");
        }
        e.record("b");
        assert_eq!(e.count(), 6);
        assert_eq!(e.samples(), "a; b");
    }
}
