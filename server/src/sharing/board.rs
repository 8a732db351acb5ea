//! The board: stored locks, freezes and broken glass read at one instant
//! into what holds each environment, and the sentences a refused writer
//! reads.

use app::{
    format::utc,
    model::{Booking, Claim, EnvironmentHolds, Freeze, GlassBreak, Lock, Pause, SharingBoard},
};

use super::rules::{self, FreezeRule, Window};
use crate::{config::Config, store::FreezeRow};

/// A freeze's next window is announced on lanes this long before it starts.
const NEXT_FREEZE_AHEAD: i64 = 7 * 86_400;
/// Days the booking calendar shows.
const CALENDAR_DAYS: i64 = 28;
/// Broken glass stays on the lane this long.
pub const GLASS_SHOWN_SECS: i64 = 86_400;

/// A stored freeze's rule; `None` for a row the rules cannot read (it was
/// checked when stored, so only a changed time-zone database gets here).
pub fn rule_of(row: &FreezeRow) -> Option<FreezeRule> {
    let zone = rules::parse_time_zone(&row.time_zone).ok()?;
    let window = if row.weekly {
        Window::Weekly {
            from: rules::parse_weekly(&row.starts).ok()?,
            until: rules::parse_weekly(&row.ends).ok()?,
        }
    } else {
        Window::Once {
            from: rules::parse_local(&row.starts).ok()?,
            until: rules::parse_local(&row.ends).ok()?,
        }
    };
    FreezeRule::new(window, zone).ok()
}

pub fn freeze_at(row: &FreezeRow, now: i64) -> Option<Freeze> {
    let Some(rule) = rule_of(row) else {
        tracing::error!(id = row.id, starts = %row.starts, ends = %row.ends, zone = %row.time_zone, "a stored freeze cannot be read; it is ignored");
        return None;
    };
    Some(Freeze {
        id: row.id,
        environment: row.environment.clone(),
        weekly: row.weekly,
        starts: row.starts.clone(),
        ends: row.ends.clone(),
        time_zone: row.time_zone.clone(),
        reason: row.reason.clone(),
        by: row.by.clone(),
        created_at: row.created_at,
        window: rules::describe(&rule),
        active: rule.active_at(now),
        next: rule.next_after(now),
    })
}

/// A one-off window that has ended: kept in the database, shown nowhere.
pub fn is_over(row: &FreezeRow, now: i64) -> bool {
    !row.weekly
        && rule_of(row).is_some_and(|r| r.active_at(now).is_none() && r.next_after(now).is_none())
}

/// What the board is made of, as read from the database at one instant.
pub struct Stored {
    pub locks: Vec<Lock>,
    pub freezes: Vec<FreezeRow>,
    pub glass: Vec<GlassBreak>,
    pub claims: Vec<Claim>,
    pub paused: Vec<Pause>,
    /// Not over before today.
    pub bookings: Vec<Booking>,
}

/// Every environment's holds at `now`.
pub fn board(config: &Config, stored: Stored, now: i64) -> SharingBoard {
    let Stored {
        locks,
        freezes,
        glass,
        claims,
        paused,
        mut bookings,
    } = stored;
    let freezes = &freezes;
    // The database already left out what ended; reading it again here
    // keeps the rule of when a lock or claim ends in one pure place.
    let locks: Vec<Lock> = locks
        .into_iter()
        .filter(|l| rules::in_force(l.until, now))
        .collect();
    let claims: Vec<Claim> = claims
        .into_iter()
        .filter(|c| rules::in_force(Some(c.until), now))
        .collect();
    let today = config.day_at(now).to_string();
    for booking in &mut bookings {
        booking.defaults = booking
            .pairs
            .iter()
            .filter_map(|(service, _)| {
                let config = config.services.iter().find(|s| s.name == *service)?;
                Some((service.clone(), config.default_branch.clone()))
            })
            .collect();
    }
    let freezes: Vec<Freeze> = freezes
        .iter()
        .filter(|f| !is_over(f, now))
        .filter_map(|f| freeze_at(f, now))
        .collect();
    let environments = config
        .environments
        .iter()
        .map(|env| {
            let applies = |f: &&Freeze| f.environment.as_ref().is_none_or(|e| *e == env.name);
            let frozen: Vec<Freeze> = freezes
                .iter()
                .filter(applies)
                .filter(|f| f.active.is_some())
                .cloned()
                .collect();
            let next_freeze = freezes
                .iter()
                .filter(applies)
                .filter(|f| {
                    f.next
                        .is_some_and(|(start, _)| start - now <= NEXT_FREEZE_AHEAD)
                })
                .min_by_key(|f| f.next.map(|(start, _)| start))
                .cloned();
            EnvironmentHolds {
                environment: env.name.clone(),
                locks: locks
                    .iter()
                    .filter(|l| l.environment == env.name)
                    .cloned()
                    .collect(),
                frozen,
                next_freeze,
                glass_breaks: glass
                    .iter()
                    .filter(|g| g.environment == env.name && now - g.at < GLASS_SHOWN_SECS)
                    .cloned()
                    .collect(),
                claims: claims
                    .iter()
                    .filter(|c| c.environment == env.name)
                    .cloned()
                    .collect(),
                paused: paused
                    .iter()
                    .filter(|p| p.environment == env.name)
                    .cloned()
                    .collect(),
                booked: bookings
                    .iter()
                    .find(|b| {
                        b.environment == env.name && b.first_day <= today && today <= b.last_day
                    })
                    .cloned(),
                next_booking: bookings
                    .iter()
                    .find(|b| b.environment == env.name && b.first_day > today)
                    .cloned(),
            }
        })
        .collect();
    SharingBoard {
        environments,
        freezes,
        time_zone: config.sharing.time_zone.clone(),
        now,
        claimable: config
            .environments
            .iter()
            .filter(|e| e.kind == app::model::EnvironmentKind::Dev)
            .map(|e| e.name.clone())
            .collect(),
        bookable: config
            .environments
            .iter()
            .filter(|e| e.kind == app::model::EnvironmentKind::Stg)
            .map(|e| e.name.clone())
            .collect(),
        days: (0..CALENDAR_DAYS)
            .map(|n| {
                config
                    .day_at(now)
                    .saturating_add(jiff::Span::new().days(n))
                    .to_string()
            })
            .collect(),
        bookings,
        today,
    }
}

/// Why a write to `services` of this environment is refused now, one
/// sentence per hold; empty when nothing holds it. No services: a write
/// to the whole environment.
pub fn refusals(holds: &EnvironmentHolds, services: &[String]) -> Vec<String> {
    let env = &holds.environment;
    let mut why: Vec<String> = holds
        .locks
        .iter()
        .filter(|l| rules::covers(&l.environment, l.service.as_deref(), env, services))
        .map(|l| {
            let what = match &l.service {
                Some(service) => format!("{service} in {env}"),
                None => env.clone(),
            };
            let until = l
                .until
                .map(|t| format!(" until {} UTC", utc(t)))
                .unwrap_or_default();
            format!("{what} is locked by {}{until}: “{}”.", l.by, l.reason)
        })
        .collect();
    why.extend(holds.frozen.iter().map(|f| {
        let until = f
            .active
            .map(|(_, end)| format!(" until {} UTC", utc(end)))
            .unwrap_or_default();
        format!("{env} is frozen{until} ({}): “{}”.", f.window, f.reason)
    }));
    why
}

/// Why automation of `service` waits: its pause, in a sentence.
pub fn paused(holds: &EnvironmentHolds, service: &str) -> Option<String> {
    holds
        .paused
        .iter()
        .find(|p| p.service == service)
        .map(|p| {
            format!(
                "automation of {service} in {} is paused by {} since {} UTC: “{}”; resume it on the prod page.",
                holds.environment,
                p.by,
                utc(p.since),
                p.reason
            )
        })
}

/// The claims of others a write to `services` would go over, as one
/// sentence asking to confirm; None when there are none.
pub fn claimed(holds: &EnvironmentHolds, services: &[String], who: &str) -> Option<String> {
    let others: Vec<String> = holds
        .claims
        .iter()
        .filter(|c| c.by != who && c.covers(services))
        .map(|c| {
            format!(
                "{} in {} is claimed by {} until {} UTC: “{}”.",
                c.scope(),
                holds.environment,
                c.by,
                utc(c.until),
                c.purpose
            )
        })
        .collect();
    (!others.is_empty()).then(|| others.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(service: Option<&str>) -> Lock {
        Lock {
            id: 1,
            environment: "stg-1".into(),
            service: service.map(Into::into),
            reason: "release tests".into(),
            by: "quinn".into(),
            since: 0,
            until: Some(3600),
        }
    }

    #[test]
    fn a_service_lock_refuses_only_writes_touching_that_service() {
        let holds = EnvironmentHolds {
            environment: "stg-1".into(),
            locks: vec![lock(Some("api"))],
            ..Default::default()
        };
        assert!(refusals(&holds, &["web".into()]).is_empty());
        assert_eq!(
            refusals(&holds, &["web".into(), "api".into()]),
            ["api in stg-1 is locked by quinn until 1970-01-01 01:00:00 UTC: “release tests”."]
        );
    }

    #[test]
    fn a_freeze_names_its_window_and_when_it_ends() {
        let row = FreezeRow {
            id: 1,
            environment: None,
            weekly: true,
            starts: "Fri 18:00".into(),
            ends: "Mon 09:00".into(),
            time_zone: "UTC".into(),
            reason: "weekend".into(),
            by: "ada".into(),
            created_at: 0,
        };
        // 1970-01-03 was a Saturday.
        let saturday = 2 * 86_400 + 12 * 3600;
        let frozen = freeze_at(&row, saturday).unwrap();
        let holds = EnvironmentHolds {
            environment: "dev".into(),
            frozen: vec![frozen],
            ..Default::default()
        };
        let why = refusals(&holds, &[]);
        assert_eq!(why.len(), 1);
        assert!(
            why[0].starts_with("dev is frozen until 1970-01-05 09:00:00 UTC ("),
            "{why:?}"
        );
        assert!(why[0].ends_with("“weekend”."), "{why:?}");
    }
}
