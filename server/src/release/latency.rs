//! How long a build report takes to become an image set on the Dev and Stg
//! Applications that follow its branch: the figure the release tool is
//! for (Argo CD Image Updater polls every two minutes). The last thousand
//! are kept in memory and summarised on `/prod` and at
//! `GET /api/v1/hooks/github`.

use std::{collections::VecDeque, sync::Mutex, time::Duration};

use app::model::SetLatency;

/// How many recent image sets the figures cover.
const KEPT: usize = 1000;

#[derive(Default)]
pub struct Latencies(Mutex<VecDeque<u32>>);

impl Latencies {
    pub fn record(&self, took: Duration) {
        let ms = u32::try_from(took.as_millis()).unwrap_or(u32::MAX);
        let mut recent = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back(ms);
    }

    /// p50, p99 and the longest of the recent ones; None before the first.
    pub fn summary(&self) -> Option<SetLatency> {
        let mut sorted: Vec<u32> = {
            let recent = self.0.lock().unwrap_or_else(|e| e.into_inner());
            recent.iter().copied().collect()
        };
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_unstable();
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        Some(SetLatency {
            count: sorted.len() as u32,
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: sorted[sorted.len() - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_cover_the_last_thousand() {
        let latencies = Latencies::default();
        assert_eq!(latencies.summary(), None);
        // An old slow one falls out once a thousand newer ones came.
        latencies.record(Duration::from_secs(60));
        for ms in 1..=1000 {
            latencies.record(Duration::from_millis(ms));
        }
        let summary = latencies.summary().unwrap();
        assert_eq!(summary.count, 1000);
        assert_eq!(summary.p50_ms, 501);
        assert_eq!(summary.p99_ms, 990);
        assert_eq!(summary.max_ms, 1000);
    }
}
