//! A lock or a freeze as asked for (a form, the JSON API), checked whole
//! before anything is stored: one sentence names every problem.

use app::{
    error::BerthError,
    model::{Booking, BookingForm, ClaimForm, EnvironmentKind, FreezeForm, LockForm},
};

use super::rules::{self, FreezeRule, Window};
use crate::{
    config::Config,
    store::{FreezeRow, NewClaim, NewLock},
};

/// A reason is read on every lane of the environment: one line, short.
pub const MAX_REASON_CHARS: usize = 300;
/// The longest lock with an end; longer ones are lifted by hand.
pub const MAX_LOCK_HOURS: u32 = 14 * 24;

/// The longest claim; it can be extended up to this from now.
pub const MAX_CLAIM_HOURS: u32 = 12;
/// A claim's length when none is asked for.
pub const DEFAULT_CLAIM_HOURS: u32 = 2;

impl Checked for ClaimForm {
    type Row = NewClaim;

    fn check(&self, config: &Config, by: &str, now: i64) -> Result<NewClaim, BerthError> {
        let mut problems = Vec::new();
        let environment = self.environment.trim();
        match config.environments.iter().find(|e| e.name == environment) {
            None => problems.push(format!("there is no environment `{}`", clip(environment))),
            Some(env) if env.kind != EnvironmentKind::Dev => problems.push(format!(
                "{} is not a Dev environment; Stg environments are booked, prod is locked",
                env.name
            )),
            Some(_) => {}
        }
        let mut services: Vec<String> = Vec::new();
        if self.services.len() > config.services.len() {
            problems.push("more services than are configured".into());
        } else {
            for service in self
                .services
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
            {
                if !config.services.iter().any(|s| s.name == service) {
                    problems.push(format!("there is no service `{}`", clip(service)));
                } else if !services.iter().any(|s| s == service) {
                    services.push(service.to_string());
                }
            }
        }
        let purpose = reason(&self.purpose, &mut problems);
        let hours = self.hours.unwrap_or(DEFAULT_CLAIM_HOURS);
        if !(1..=MAX_CLAIM_HOURS).contains(&hours) {
            problems.push(format!(
                "a claim lasts 1 to {MAX_CLAIM_HOURS} hours; extend it later"
            ));
        }
        if !problems.is_empty() {
            return Err(BerthError::Invalid(sentence(problems)));
        }
        Ok(NewClaim {
            environment: environment.into(),
            services,
            purpose,
            by: by.into(),
            at: now,
            until: now + i64::from(hours) * 3600,
        })
    }
}

/// The longest booking, in days.
pub const MAX_BOOKING_DAYS: i32 = 92;

impl Checked for BookingForm {
    type Row = Booking;

    fn check(&self, config: &Config, by: &str, now: i64) -> Result<Booking, BerthError> {
        let mut problems = Vec::new();
        let environment = self.environment.trim();
        match config.environments.iter().find(|e| e.name == environment) {
            None => problems.push(format!("there is no environment `{}`", clip(environment))),
            Some(env) if env.kind != EnvironmentKind::Stg => problems.push(format!(
                "{} is not a Stg environment; Dev is claimed, prod is locked",
                env.name
            )),
            Some(_) => {}
        }
        let project = self.project.trim();
        if project.is_empty() || project.chars().count() > 64 || !plain_line(project) {
            problems.push("name the project in one line of at most 64 characters".into());
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        if self.pairs.is_empty() || self.pairs.len() > config.services.len() {
            problems.push("list the project's services and their branches".into());
        } else {
            for (service, branch) in &self.pairs {
                let (service, branch) = (service.trim(), branch.trim());
                if !config.services.iter().any(|s| s.name == service) {
                    problems.push(format!("there is no service `{}`", clip(service)));
                } else if pairs.iter().any(|(s, _)| s == service) {
                    problems.push(format!("{service} is listed twice"));
                } else if let Err(why) = crate::gitops::names::check_branch_name(branch) {
                    problems.push(format!("{service}: {why}"));
                } else {
                    pairs.push((service.into(), branch.into()));
                }
            }
        }
        let today = config.day_at(now);
        let first = crate::gitops::files::parse_day(self.first_day.trim());
        let last = crate::gitops::files::parse_day(self.last_day.trim());
        match (first, last) {
            (Some(first), Some(last)) => {
                if first < today {
                    problems.push(format!("the first day ({first}) is in the past"));
                }
                if last < first {
                    problems.push("the last day is before the first".into());
                } else if (last - first).get_days() >= MAX_BOOKING_DAYS {
                    problems.push(format!("a booking lasts at most {MAX_BOOKING_DAYS} days"));
                }
            }
            _ => problems.push("give the first and last day as 2026-12-07".into()),
        }
        if !problems.is_empty() {
            return Err(BerthError::Invalid(sentence(problems)));
        }
        Ok(Booking {
            id: 0,
            environment: environment.into(),
            project: project.into(),
            pairs,
            first_day: self.first_day.trim().into(),
            last_day: self.last_day.trim().into(),
            by: by.into(),
            at: now,
            defaults: Vec::new(),
        })
    }
}

/// What the audit log names: `stg-1` or `stg-1/api`.
pub fn lock_target(environment: &str, service: Option<&str>) -> String {
    let environment = clip(environment.trim());
    match service.map(str::trim).filter(|s| !s.is_empty()) {
        Some(service) => format!("{environment}/{}", clip(service)),
        None => environment.to_string(),
    }
}

impl Checked for LockForm {
    type Row = NewLock;

    fn check(&self, config: &Config, by: &str, now: i64) -> Result<NewLock, BerthError> {
        let mut problems = Vec::new();
        let environment = self.environment.trim();
        if !config.environments.iter().any(|e| e.name == environment) {
            problems.push(format!("there is no environment `{}`", clip(environment)));
        }
        let service = self
            .service
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if let Some(service) = service {
            if !config.services.iter().any(|s| s.name == service) {
                problems.push(format!("there is no service `{}`", clip(service)));
            }
        }
        let reason = reason(&self.reason, &mut problems);
        let hours = self.hours.filter(|h| *h > 0);
        if hours.is_some_and(|h| h > MAX_LOCK_HOURS) {
            problems.push(format!(
                "a lock with an end lasts at most {MAX_LOCK_HOURS} hours; leave the end out to lift it by hand"
            ));
        }
        if !problems.is_empty() {
            return Err(BerthError::Invalid(sentence(problems)));
        }
        Ok(NewLock {
            environment: environment.into(),
            service: service.map(Into::into),
            reason,
            by: by.into(),
            at: now,
            until: hours.map(|h| now + i64::from(h) * 3600),
        })
    }
}

/// What the audit log names: the environment, or all of them.
pub fn freeze_target(form: &FreezeForm) -> String {
    form.environment
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| clip(e).to_string())
        .unwrap_or_else(|| "all environments".into())
}

impl Checked for FreezeForm {
    type Row = FreezeRow;

    fn check(&self, config: &Config, by: &str, now: i64) -> Result<FreezeRow, BerthError> {
        let mut problems = Vec::new();
        let environment = self
            .environment
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty());
        if let Some(environment) = environment {
            if !config.environments.iter().any(|e| e.name == environment) {
                problems.push(format!("there is no environment `{}`", clip(environment)));
            }
        }
        let zone_name = self
            .time_zone
            .as_deref()
            .map(str::trim)
            .filter(|z| !z.is_empty())
            .unwrap_or(&config.sharing.time_zone);
        let zone = short(zone_name, "time zone", &mut problems).and_then(|z| {
            rules::parse_time_zone(z)
                .map_err(|why| problems.push(why))
                .ok()
        });
        let starts = short(&self.starts, "start", &mut problems);
        let ends = short(&self.ends, "end", &mut problems);
        let window = match (starts, ends) {
            (Some(starts), Some(ends)) if self.weekly => {
                let from = rules::parse_weekly(starts).map_err(|why| problems.push(why));
                let until = rules::parse_weekly(ends).map_err(|why| problems.push(why));
                from.and_then(|from| until.map(|until| Window::Weekly { from, until }))
            }
            (Some(starts), Some(ends)) => {
                let from = rules::parse_local(starts).map_err(|why| problems.push(why));
                let until = rules::parse_local(ends).map_err(|why| problems.push(why));
                from.and_then(|from| until.map(|until| Window::Once { from, until }))
            }
            _ => Err(()),
        };
        let reason = reason(&self.reason, &mut problems);
        let rule = match (window, zone) {
            (Ok(window), Some(zone)) => FreezeRule::new(window, zone)
                .map_err(|why| problems.push(why))
                .ok(),
            _ => None,
        };
        if let Some(rule) = &rule {
            if !self.weekly && rule.active_at(now).is_none() && rule.next_after(now).is_none() {
                problems.push("that window is already over".into());
            }
        }
        if !problems.is_empty() {
            return Err(BerthError::Invalid(sentence(problems)));
        }
        // Stored as the rules write it, so it reads back the same.
        let (starts, ends) = match rule.map(|r| r.window) {
            Some(Window::Weekly { from, until }) => (
                rules::format_weekly(from.0, from.1),
                rules::format_weekly(until.0, until.1),
            ),
            Some(Window::Once { from, until }) => {
                (rules::format_local(from), rules::format_local(until))
            }
            None => unreachable!("no problems means a rule"),
        };
        Ok(FreezeRow {
            id: 0,
            environment: environment.map(Into::into),
            weekly: self.weekly,
            starts,
            ends,
            time_zone: zone_name.into(),
            reason,
            by: by.into(),
            created_at: now,
        })
    }
}

/// A form checked whole into what is stored, or one sentence naming every
/// problem.
pub trait Checked {
    type Row;
    fn check(&self, config: &Config, by: &str, now: i64) -> Result<Self::Row, BerthError>;
}

/// A reason: trimmed, one line, not empty, not too long.
fn reason(text: &str, problems: &mut Vec<String>) -> String {
    let text = text.trim();
    if text.is_empty() {
        problems.push("say why (a reason is shown to everyone refused)".into());
    } else if text.chars().count() > MAX_REASON_CHARS {
        problems.push(format!(
            "the reason is longer than {MAX_REASON_CHARS} characters"
        ));
    } else if !plain_line(text) {
        problems.push("the reason must be one line of visible text".into());
    }
    text.to_string()
}

/// One line without control characters or the invisible ones that turn
/// text around or hide it (bidi controls, zero-width spaces), which could
/// make a reason on a lane read as something else.
pub fn plain_line(text: &str) -> bool {
    !text.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    })
}

/// A time or a zone name: none is longer than this, and refusing longer
/// ones keeps them out of messages.
fn short<'a>(text: &'a str, what: &str, problems: &mut Vec<String>) -> Option<&'a str> {
    let text = text.trim();
    if text.chars().count() > 64 {
        problems.push(format!("the {what} is longer than 64 characters"));
        return None;
    }
    Some(text)
}

/// Echoed input is cut short, so a huge value cannot make a huge message.
fn clip(text: &str) -> &str {
    match text.char_indices().nth(64) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

fn sentence(problems: Vec<String>) -> String {
    let mut text = problems.join("; ");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text + "."
}
