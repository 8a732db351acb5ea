//! Release figures for the charts and `/api/v1/metrics/dora`: prod
//! deploys per day and the four DORA measures over a range of days.

use serde::{Deserialize, Serialize};

/// The ranges the charts offer, in days.
pub const RANGES: [u32; 3] = [30, 90, 365];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ReleaseFigures {
    /// Berth is still reading the release history (its first start reads
    /// what the prod cluster remembers): the figures are not complete.
    pub loading: bool,
    /// Days in the range; it ends with today (UTC).
    pub days: u32,
    /// The first day, as unix seconds at 00:00 UTC.
    pub from: i64,
    /// The one service shown, or all when `None`.
    pub service: Option<String>,
    /// Every configured service, in config order: the chart's colours and
    /// the filter's choices.
    pub services: Vec<String>,
    /// One entry per day, oldest first.
    pub per_day: Vec<DayDeploys>,
    /// Successful prod deploys in the range.
    pub deploys: u32,
    /// `deploys / days`.
    pub per_day_average: f64,
    /// Commit time to deployed, in seconds.
    pub lead_time: Option<Spread>,
    /// Failed deploys over all finished ones.
    pub change_failure_rate: Option<f64>,
    pub failures: u32,
    /// From a failed deploy to the next good deploy of that service.
    pub time_to_restore: Option<Spread>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DayDeploys {
    pub day: i64,
    /// Deploys per service, in the order of `ReleaseFigures::services`.
    pub counts: Vec<u32>,
    pub total: u32,
    /// The mean of the totals of this day and the six before it.
    pub rolling_average: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Spread {
    pub median_secs: i64,
    pub p90_secs: i64,
    pub count: u32,
}
