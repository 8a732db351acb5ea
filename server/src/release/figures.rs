//! Release figures (deploys per day, DORA's four measures) from an index
//! of finished prod releases kept in memory: a year of charts over a
//! million releases is one pass over a sorted array, not a database scan.
//!
//! The index is loaded once at start and grows as releases end here. With
//! several replicas (Postgres), each sees only the releases it ended until
//! its next start.

use std::sync::RwLock;

use app::model::{DayDeploys, Release, ReleaseFigures, ReleaseOutcome, Spread};

use crate::store::{ReleaseStore, StoreResult};

const DAY: i64 = 86_400;

/// A finished prod release, as small as the figures need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    pub finished_at: i64,
    pub service: u16,
    pub deployed: bool,
    /// Commit to deployed in seconds; negative when unknown.
    pub lead_time: i64,
}

pub struct ReleaseIndex {
    services: Vec<String>,
    /// Whether the history has been read since start.
    loaded: std::sync::atomic::AtomicBool,
    /// Sorted by `finished_at`.
    records: RwLock<Vec<Record>>,
}

impl ReleaseIndex {
    pub fn new(services: Vec<String>) -> ReleaseIndex {
        ReleaseIndex {
            services,
            loaded: std::sync::atomic::AtomicBool::new(false),
            records: RwLock::new(Vec::new()),
        }
    }

    fn record(&self, release: &Release) -> Option<Record> {
        let deployed = match release.outcome {
            ReleaseOutcome::Deployed => true,
            ReleaseOutcome::Failed => false,
            ReleaseOutcome::Deploying | ReleaseOutcome::Superseded => return None,
        };
        Some(Record {
            finished_at: release.finished_at?,
            service: self.services.iter().position(|s| *s == release.service)? as u16,
            deployed,
            lead_time: release.lead_time_secs.unwrap_or(-1),
        })
    }

    /// Replaces the index with the finished releases of `environment`.
    pub async fn load(&self, store: &dyn ReleaseStore, environment: &str) -> StoreResult<usize> {
        let mut records = Vec::new();
        store
            .each_finished_release(environment, &mut |service, finished_at, deployed, lead| {
                if let Some(service) = self.services.iter().position(|s| s == service) {
                    records.push(Record {
                        finished_at,
                        service: service as u16,
                        deployed,
                        lead_time: lead.unwrap_or(-1),
                    });
                }
            })
            .await?;
        records.sort_by_key(|r| r.finished_at);
        let count = records.len();
        *self.records.write().unwrap_or_else(|e| e.into_inner()) = records;
        self.loaded.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(count)
    }

    /// Adds a release that just ended.
    pub fn add(&self, release: &Release) {
        let Some(record) = self.record(release) else {
            return;
        };
        let mut records = self.records.write().unwrap_or_else(|e| e.into_inner());
        let at = records.partition_point(|r| r.finished_at <= record.finished_at);
        records.insert(at, record);
    }

    /// A deployed release found bad later (rolled back): from now on it
    /// counts as a failure, and the next good deploy as its restore.
    pub fn mark_failed(&self, release: &Release) {
        let Some(record) = self.record(release) else {
            return;
        };
        let mut records = self.records.write().unwrap_or_else(|e| e.into_inner());
        let from = records.partition_point(|r| r.finished_at < record.finished_at);
        if let Some(found) = records[from..]
            .iter_mut()
            .take_while(|r| r.finished_at == record.finished_at)
            .find(|r| r.service == record.service && r.deployed)
        {
            found.deployed = false;
        }
    }

    pub fn len(&self) -> usize {
        self.records.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The figures of the `days` ending today, for one service or all.
    pub fn figures(&self, days: u32, service: Option<&str>, now: i64) -> ReleaseFigures {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        let index = service.and_then(|s| self.services.iter().position(|n| n == s));
        let mut figures = compute(
            &records,
            self.services.len(),
            days,
            index.map(|i| i as u16),
            now,
        );
        figures.services = self.services.clone();
        figures.service = index.map(|i| self.services[i].clone());
        figures.loading = !self.loaded.load(std::sync::atomic::Ordering::SeqCst);
        figures
    }
}

/// The figures of `records` (sorted by `finished_at`) for the `days` days
/// ending with the day of `now`.
pub fn compute(
    records: &[Record],
    services: usize,
    days: u32,
    only: Option<u16>,
    now: i64,
) -> ReleaseFigures {
    let days = days.max(1);
    let today = now.div_euclid(DAY) * DAY;
    let from = today - i64::from(days - 1) * DAY;
    // Six days before the range feed the first rolling averages.
    let lead_in = from - 6 * DAY;
    let start = records.partition_point(|r| r.finished_at < lead_in);
    let mut totals = vec![0u32; days as usize + 6];
    let mut per_day = vec![vec![0u32; services]; days as usize];
    let mut lead_times = Vec::new();
    let (mut deploys, mut failures) = (0u32, 0u32);
    let mut restores = Vec::new();
    // The first failure of each service not yet followed by a good deploy.
    let mut failing_since: Vec<Option<i64>> = vec![None; services];
    for record in &records[start..] {
        if record.finished_at >= today + DAY {
            break;
        }
        if only.is_some_and(|s| s != record.service) {
            continue;
        }
        let slot = ((record.finished_at - lead_in) / DAY) as usize;
        let in_range = record.finished_at >= from;
        let service = usize::from(record.service);
        if record.deployed {
            totals[slot] += 1;
            if in_range {
                per_day[slot - 6][service] += 1;
                deploys += 1;
                if record.lead_time >= 0 {
                    lead_times.push(record.lead_time);
                }
            }
            if let Some(since) = failing_since[service].take() {
                if in_range {
                    restores.push(record.finished_at - since);
                }
            }
        } else {
            if in_range {
                failures += 1;
            }
            failing_since[service].get_or_insert(record.finished_at);
        }
    }
    let per_day = per_day
        .into_iter()
        .enumerate()
        .map(|(i, counts)| {
            let window = &totals[i..i + 7];
            DayDeploys {
                day: from + i as i64 * DAY,
                total: totals[i + 6],
                counts,
                rolling_average: f64::from(window.iter().sum::<u32>()) / 7.0,
            }
        })
        .collect();
    let finished = deploys + failures;
    ReleaseFigures {
        loading: false,
        days,
        from,
        service: None,
        services: Vec::new(),
        per_day,
        deploys,
        per_day_average: f64::from(deploys) / f64::from(days),
        lead_time: spread(lead_times),
        change_failure_rate: (finished > 0).then(|| f64::from(failures) / f64::from(finished)),
        failures,
        time_to_restore: spread(restores),
    }
}

/// Median and 90th percentile by nearest rank.
fn spread(mut values: Vec<i64>) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    let rank = |q: f64| ((q * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1;
    let (median, p90) = (rank(0.5), rank(0.9));
    let median_secs = *values.select_nth_unstable(median).1;
    let p90_secs = *values.select_nth_unstable(p90).1;
    Some(Spread {
        median_secs,
        p90_secs,
        count: values.len() as u32,
    })
}

#[cfg(test)]
mod tests;
