//! The rules behind sharing an environment: when a freeze window holds writes
//! back, which writes a lock or claim covers, whether a lock or claim is still
//! in force, and whether two Stg bookings collide. Pure functions: "now" is
//! always passed in as unix seconds, so callers and tests decide what it is.
//!
//! Freeze windows are written in the wall-clock time of a named time zone,
//! because that is how people agree on them ("no deploys from Friday 18:00 to
//! Monday 09:00 Berlin time"), and keep their wall-clock edges over a DST
//! change: that weekend's window is an hour longer or shorter. A wall-clock
//! time becomes the first instant at which the clock on the wall shows it:
//!
//! - A time skipped by spring-forward (02:30 on the last Sunday of March in
//!   Berlin) is the instant after the gap, 03:00 CEST. jiff's "compatible"
//!   disambiguation would shift it by the gap's length to 03:30, leaving half
//!   an hour outside a window that by the wall clock has begun, so the gap is
//!   handled here.
//! - A time repeated by fall-back is its first occurrence, the earlier
//!   instant, as jiff's "compatible" has it.
//!
//! Every window is half-open: [start, end).

use std::ops::RangeInclusive;

use jiff::{
    civil::{Date, DateTime, Time, Weekday},
    tz::{AmbiguousOffset, TimeZone},
    Span, Timestamp,
};

/// When a freeze applies, in its time zone's wall-clock time.
#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    Once {
        from: DateTime,
        until: DateTime,
    },
    Weekly {
        from: (Weekday, Time),
        until: (Weekday, Time),
    },
}

#[derive(Debug, Clone)]
pub struct FreezeRule {
    pub window: Window,
    pub time_zone: TimeZone,
}

impl FreezeRule {
    /// Checks the window (end after start; weekly start != end) and builds the rule.
    pub fn new(window: Window, time_zone: TimeZone) -> Result<FreezeRule, String> {
        let rule = FreezeRule { window, time_zone };
        let text = describe(&rule);
        match rule.window {
            Window::Weekly { from, until } if from == until => Err(format!(
                "The freeze window `{text}` starts and ends at the same time."
            )),
            Window::Once { from, until } if until <= from => Err(format!(
                "The freeze window `{text}` must end after it starts."
            )),
            Window::Once { from, until } => match rule.span(from, until) {
                Some((start, end)) if end > start => Ok(rule),
                Some(_) => Err(format!(
                    "The freeze window `{text}` lies inside a daylight-saving gap, so it never happens."
                )),
                None => Err(format!("The freeze window `{text}` is too far from today.")),
            },
            Window::Weekly { .. } => Ok(rule),
        }
    }

    /// The window containing `now` as unix seconds [start, end), if `now` is inside one.
    pub fn active_at(&self, now: i64) -> Option<(i64, i64)> {
        // A weekly window lasts at most a week of wall-clock time, so one that
        // holds `now` started within the 8 days before `now`'s local date.
        let mut windows = self.windows_near(now, -8..=1).into_iter();
        windows.find(|&(start, end)| start <= now && now < end)
    }

    /// The first window starting strictly after `now` ((start, end) unix seconds), if any
    /// (a one-off window already started or past has none).
    pub fn next_after(&self, now: i64) -> Option<(i64, i64)> {
        // Starts grow with their date, so the first match is the earliest;
        // two weeks leave room for a week whose window fell into a DST gap.
        let mut windows = self.windows_near(now, -1..=15).into_iter();
        windows.find(|&(start, end)| start > now && end > start)
    }

    /// The rule's windows, in order, that start on the days `days` away
    /// from the local date of `now` (the one-off window wherever it is).
    fn windows_near(&self, now: i64, days: RangeInclusive<i64>) -> Vec<(i64, i64)> {
        let (from, until) = match self.window {
            Window::Once { from, until } => return self.span(from, until).into_iter().collect(),
            Window::Weekly { from, until } => (from, until),
        };
        let length = match from.0.until(until.0) {
            // Same weekday with an earlier end ("Wed 13:00 – Wed 12:00") ends
            // in the following week rather than running backwards.
            0 if until.1 <= from.1 => 7,
            days => i64::from(days),
        };
        let today = Timestamp::from_second(now).ok();
        let today = today.map(|instant| self.time_zone.to_datetime(instant).date());
        days.filter_map(|offset| add_days(today?, offset))
            .filter(|day| day.weekday() == from.0)
            .filter_map(|day| {
                let last_day = add_days(day, length)?;
                self.span(day.to_datetime(from.1), last_day.to_datetime(until.1))
            })
            .collect()
    }

    fn span(&self, from: DateTime, until: DateTime) -> Option<(i64, i64)> {
        Some((self.instant(from)?, self.instant(until)?))
    }

    /// The first instant at which the wall clock shows `at` or later (see the module doc).
    fn instant(&self, at: DateTime) -> Option<i64> {
        let ambiguous = self.time_zone.to_ambiguous_timestamp(at);
        let resolved = match ambiguous.offset() {
            AmbiguousOffset::Gap { after, .. } => {
                // Read with the later offset, `at` falls before the jump; the
                // jump itself is the first instant showing `at` or later.
                let before_jump = after.to_timestamp(at).ok()?;
                match self.time_zone.following(before_jump).next() {
                    Some(jump) => jump.timestamp(),
                    None => ambiguous.compatible().ok()?,
                }
            }
            _ => ambiguous.compatible().ok()?,
        };
        Some(resolved.as_second())
    }
}

fn add_days(day: Date, days: i64) -> Option<Date> {
    day.checked_add(Span::new().try_days(days).ok()?).ok()
}

/// "Fri 18:00", "friday 18:00", "FRI 9:05" → (Weekday::Friday, 18:00). Three-letter or full English names, case-insensitive; HH:MM 24h.
pub fn parse_weekly(text: &str) -> Result<(Weekday, Time), String> {
    let text = non_empty(text, "A weekday and time like `Fri 18:00`")?;
    let wrong = |why: String| format!("`{text}` is not a weekday and time like `Fri 18:00`{why}");
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [day, time] = parts[..] else {
        return Err(wrong(".".into()));
    };
    let named =
        |name: &&str| day.eq_ignore_ascii_case(name) || day.eq_ignore_ascii_case(&name[..3]);
    let day = (WEEKDAYS.iter().position(named))
        .and_then(|index| Weekday::from_monday_zero_offset(index as i8).ok())
        .ok_or_else(|| wrong(format!(": `{day}` is not an English weekday name.")))?;
    let time = parse_time(time).map_err(|why| wrong(format!(": {why}")))?;
    Ok((day, time))
}

/// "2026-12-24 18:00" (also accept "2026-12-24T18:00") → civil DateTime.
pub fn parse_local(text: &str) -> Result<DateTime, String> {
    let text = non_empty(text, "A date and time like `2026-12-24 18:00`")?;
    let wrong =
        |why: String| format!("`{text}` is not a date and time like `2026-12-24 18:00`{why}");
    let parts: Vec<&str> = match text.split_once('T') {
        Some((date, time)) => vec![date, time],
        None => text.split_whitespace().collect(),
    };
    let [date, time] = parts[..] else {
        return Err(wrong(".".into()));
    };
    let date = parse_date(date).map_err(|why| wrong(format!(": {why}")))?;
    Ok(date.to_datetime(parse_time(time).map_err(|why| wrong(format!(": {why}")))?))
}

/// An IANA name ("Europe/Berlin", "UTC") → TimeZone from the bundled database; unknown names refused with a sentence.
pub fn parse_time_zone(name: &str) -> Result<TimeZone, String> {
    let name = non_empty(name, "A time zone name like `Europe/Berlin`")?;
    match TimeZone::get(name) {
        // "Etc/Unknown" is jiff's stand-in for a missing zone, not a place.
        Ok(zone) if !zone.is_unknown() => Ok(zone),
        _ => Err(format!(
            "`{name}` is not a time zone Berth knows; use an IANA name like \
             `Europe/Berlin`, `America/New_York` or `UTC`."
        )),
    }
}

/// How a window reads on a page: "Fri 18:00 – Mon 09:00 (Europe/Berlin)" / "2026-12-24 18:00 – 2026-12-27 09:00 (Europe/Berlin)".
pub fn describe(rule: &FreezeRule) -> String {
    let (from, until) = match rule.window {
        Window::Once { from, until } => (format_local(from), format_local(until)),
        Window::Weekly { from, until } => (
            format_weekly(from.0, from.1),
            format_weekly(until.0, until.1),
        ),
    };
    // Only a zone built by hand from an offset has no name.
    let zone = rule.time_zone.iana_name().unwrap_or("unnamed time zone");
    format!("{from} – {until} ({zone})")
}

/// Formats back what parse_weekly/parse_local accept (for storing in a database as text): "Fri 18:00", "2026-12-24 18:00".
/// The stored form has no seconds, so a time with seconds loses them.
pub fn format_weekly(day: Weekday, time: Time) -> String {
    let name = WEEKDAYS[usize::from(day.to_monday_zero_offset().unsigned_abs())];
    format!("{} {}", &name[..3], time.strftime("%H:%M"))
}

pub fn format_local(at: DateTime) -> String {
    at.strftime("%Y-%m-%d %H:%M").to_string()
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn non_empty<'a>(text: &'a str, needed: &str) -> Result<&'a str, String> {
    let text = Some(text.trim()).filter(|text| !text.is_empty());
    text.ok_or_else(|| format!("{needed} is needed, but the text is empty."))
}

/// `text` as a number, if it is `min` to `max` ASCII digits and nothing else.
fn digits(text: &str, min: usize, max: usize) -> Option<i16> {
    let ok = (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| text.parse().ok()).flatten()
}

fn parse_time(text: &str) -> Result<Time, String> {
    let shape = || format!("`{text}` is not a 24-hour time like `18:00`.");
    let (hour, minute) = text.split_once(':').ok_or_else(shape)?;
    let hour = digits(hour, 1, 2).ok_or_else(shape)?;
    let minute = digits(minute, 2, 2).ok_or_else(shape)?;
    // At most two digits each, so the casts are exact; jiff checks the ranges.
    Time::new(hour as i8, minute as i8, 0, 0)
        .map_err(|_| format!("`{text}` is not a time of day between 00:00 and 23:59."))
}

fn parse_date(text: &str) -> Result<Date, String> {
    let shape = || format!("`{text}` is not a date like `2026-12-24`.");
    let fields: Vec<&str> = text.split('-').collect();
    let [year, month, day] = fields[..] else {
        return Err(shape());
    };
    let year = digits(year, 4, 4).ok_or_else(shape)?;
    let month = digits(month, 2, 2).ok_or_else(shape)?;
    let day = digits(day, 2, 2).ok_or_else(shape)?;
    Date::new(year, month as i8, day as i8)
        .map_err(|_| format!("`{text}` is not a day in the calendar."))
}

/// Whether a hold on `environment` (all its services when `service` is None) covers a write
/// to `target_environment` touching `services` (an empty `services` means the write concerns the
/// whole environment, so any hold on that environment covers it).
pub fn covers(
    hold_environment: &str,
    hold_service: Option<&str>,
    target_environment: &str,
    services: &[String],
) -> bool {
    hold_environment == target_environment
        && match hold_service {
            None => true,
            Some(held) => services.is_empty() || services.iter().any(|s| s == held),
        }
}

/// Whether something that ends at `ends_at` (unix seconds, None = until ended by hand) is still in force at `now`.
pub fn in_force(ends_at: Option<i64>, now: i64) -> bool {
    ends_at.is_none_or(|end| end > now)
}

/// Whether two inclusive date ranges [a_from, a_until] and [b_from, b_until] share a day (for Stg bookings).
/// A range whose end is before its start holds no day, so it overlaps nothing.
pub fn dates_overlap(a: (Date, Date), b: (Date, Date)) -> bool {
    a.0 <= a.1 && b.0 <= b.1 && a.0 <= b.1 && b.0 <= a.1
}

#[cfg(test)]
mod tests;
