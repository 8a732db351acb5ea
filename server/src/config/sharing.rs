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
    /// `[[releases.markers]]` sinks (Slack or a JSON webhook) told of
    /// claims, bookings starting, locks, freezes starting, broken glass
    /// and rollbacks.
    #[serde(default)]
    pub notify: Vec<String>,
}

impl Default for SharingConfig {
    fn default() -> Self {
        SharingConfig {
            time_zone: default_time_zone(),
            notify: Vec::new(),
        }
    }
}

fn default_time_zone() -> String {
    "UTC".into()
}

impl Config {
    pub(super) fn check_sharing(&self) -> Result<(), String> {
        for name in &self.sharing.notify {
            match self.releases.markers.iter().find(|m| m.name == *name) {
                None => {
                    return Err(format!(
                        "[sharing] notify names `{name}`, which is no [[releases.markers]] entry"
                    ))
                }
                Some(m)
                    if !matches!(
                        m.kind,
                        super::MarkerKind::Slack | super::MarkerKind::Webhook
                    ) =>
                {
                    return Err(format!(
                        "[sharing] notify: `{name}` is not a slack or webhook sink"
                    ))
                }
                Some(_) => {}
            }
        }
        if self
            .sandboxes
            .lifetime_days
            .is_some_and(|days| !(1..=3650).contains(&days))
        {
            return Err("[sandboxes] lifetime_days must be 1 to 3650".into());
        }
        crate::sharing::rules::parse_time_zone(&self.sharing.time_zone)
            .map(|_| ())
            .map_err(|why| format!("[sharing] time_zone: {why}"))
    }

    /// The date in the configured time zone at `now`: the day sandbox
    /// expiry counts in.
    pub fn day_at(&self, now: i64) -> jiff::civil::Date {
        let zone = crate::sharing::rules::parse_time_zone(&self.sharing.time_zone)
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let at = jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        zone.to_datetime(at).date()
    }
}
