//! `[sharing]`: how locks and freeze windows read.

use serde::{Deserialize, Serialize};

use super::Config;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingConfig {
    /// The IANA time zone a freeze window is written in unless it names
    /// its own, e.g. "Europe/Berlin".
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
}

impl Default for SharingConfig {
    fn default() -> Self {
        SharingConfig {
            time_zone: default_time_zone(),
        }
    }
}

fn default_time_zone() -> String {
    "UTC".into()
}

impl Config {
    pub(super) fn check_sharing(&self) -> Result<(), String> {
        crate::sharing::rules::parse_time_zone(&self.sharing.time_zone)
            .map(|_| ())
            .map_err(|why| format!("[sharing] time_zone: {why}"))
    }
}
