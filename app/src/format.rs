//! How times and commits read on the pages: "3 min ago", "in 2 h",
//! `abc1234`, `2026-11-21 18:44:02`.

/// "3 min ago" from two unix times.
pub fn ago(now: i64, then: i64) -> String {
    let secs = (now - then).max(0);
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// "in 3 d" from two unix times; for what ends in the future.
pub fn until(now: i64, then: i64) -> String {
    let secs = (then - now).max(0);
    match secs {
        0..=3599 => format!("in {} min", secs / 60),
        3600..=86_399 => format!("in {} h", secs / 3600),
        _ => format!("in {} d", secs / 86_400),
    }
}

/// "45 s", "6 min", "2 h 5 min", "3 d 4 h": a duration at a glance.
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        3600..=86_399 if secs % 3600 >= 60 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        3600..=86_399 => format!("{} h", secs / 3600),
        _ if secs % 86_400 >= 3600 => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

/// The first seven characters of a commit id, as git shows it.
pub fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// `2026-11-29 18:44:02` from unix seconds, without a date library.
pub fn utc(at: i64) -> String {
    let days = at.div_euclid(86_400);
    let secs = at.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(6 * 60 + 20), "6 min");
        assert_eq!(duration(2 * 3600 + 5 * 60), "2 h 5 min");
        assert_eq!(duration(3600), "1 h");
        assert_eq!(duration(3 * 86_400 + 4 * 3600), "3 d 4 h");
        assert_eq!(duration(-5), "0 s");
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(ago(100, 100), "0 s ago");
        assert_eq!(ago(100, 41), "59 s ago");
        assert_eq!(ago(100, 40), "1 min ago");
        assert_eq!(ago(3_599, 0), "59 min ago");
        assert_eq!(ago(3_600, 0), "1 h ago");
        assert_eq!(ago(10_000, 0), "2 h ago");
        assert_eq!(ago(86_400, 0), "1 d ago");
        assert_eq!(ago(200_000, 0), "2 d ago");
        assert_eq!(
            ago(0, 50),
            "0 s ago",
            "clock skew never shows a negative age"
        );
    }

    #[test]
    fn what_ends_later_reads_as_in() {
        assert_eq!(until(0, 90 * 86_400), "in 90 d");
        assert_eq!(until(0, 86_399), "in 23 h");
        assert_eq!(until(0, 7_200), "in 2 h");
        assert_eq!(until(0, 3_599), "in 59 min");
        assert_eq!(until(100, 0), "in 0 min", "the past is never negative");
    }

    #[test]
    fn shas_are_shortened_to_seven_characters() {
        assert_eq!(
            short_sha("0123456789abcdef0123456789abcdef01234567"),
            "0123456"
        );
        assert_eq!(short_sha("abc"), "abc", "a short id is kept whole");
        assert_eq!(short_sha(""), "");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_795_286_642), "2026-11-21 18:44:02");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(-1), "1969-12-31 23:59:59");
    }
}
