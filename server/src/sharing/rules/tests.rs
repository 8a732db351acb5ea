use super::*;
use jiff::civil::{date, time};
use proptest::prelude::*;

const HOUR: i64 = 3600;

/// Unix seconds of an RFC 3339 instant written out in the test.
fn utc(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().as_second()
}

fn weekly(from: &str, until: &str, zone: &str) -> FreezeRule {
    let window = Window::Weekly {
        from: parse_weekly(from).unwrap(),
        until: parse_weekly(until).unwrap(),
    };
    FreezeRule::new(window, parse_time_zone(zone).unwrap()).unwrap()
}

fn once(from: &str, until: &str, zone: &str) -> FreezeRule {
    let window = Window::Once {
        from: parse_local(from).unwrap(),
        until: parse_local(until).unwrap(),
    };
    FreezeRule::new(window, parse_time_zone(zone).unwrap()).unwrap()
}

fn weekend_freeze() -> FreezeRule {
    weekly("Fri 18:00", "Mon 09:00", "Europe/Berlin")
}

#[test]
fn weekend_freeze_holds_from_friday_evening_to_monday_morning_berlin_time() {
    let rule = weekend_freeze();
    // Summer: Berlin is UTC+2.
    let window = (utc("2026-06-12T16:00:00Z"), utc("2026-06-15T07:00:00Z"));

    assert_eq!(
        rule.active_at(utc("2026-06-13T10:00:00Z")),
        Some(window),
        "Saturday noon"
    );
    assert_eq!(
        rule.active_at(utc("2026-06-12T15:59:00Z")),
        None,
        "Friday 17:59"
    );
    assert_eq!(
        rule.active_at(utc("2026-06-12T16:00:00Z")),
        Some(window),
        "Friday 18:00"
    );
    assert_eq!(
        rule.active_at(utc("2026-06-15T06:59:59Z")),
        Some(window),
        "Monday 08:59:59"
    );
    assert_eq!(
        rule.active_at(utc("2026-06-15T07:00:00Z")),
        None,
        "Monday 09:00"
    );
    assert_eq!(
        rule.active_at(utc("2026-06-17T10:00:00Z")),
        None,
        "Wednesday noon"
    );
}

#[test]
fn weekend_freeze_over_the_october_clock_change_is_64_hours_and_ends_at_nine_cet() {
    let rule = weekend_freeze();
    let (start, end) = rule.active_at(utc("2026-10-24T12:00:00Z")).unwrap();

    assert_eq!(start, utc("2026-10-23T16:00:00Z"), "Friday 18:00 CEST");
    assert_eq!(end, utc("2026-10-26T08:00:00Z"), "Monday 09:00 CET");
    assert_eq!(end - start, 64 * HOUR);
    assert!(rule.active_at(utc("2026-10-26T07:59:59Z")).is_some());
    assert_eq!(rule.active_at(utc("2026-10-26T08:00:00Z")), None);
}

#[test]
fn weekend_freeze_over_the_march_clock_change_is_62_hours_and_ends_at_nine_cest() {
    let rule = weekend_freeze();
    let (start, end) = rule.active_at(utc("2026-03-28T12:00:00Z")).unwrap();

    assert_eq!(start, utc("2026-03-27T17:00:00Z"), "Friday 18:00 CET");
    assert_eq!(end, utc("2026-03-30T07:00:00Z"), "Monday 09:00 CEST");
    assert_eq!(end - start, 62 * HOUR);
    assert_eq!(rule.active_at(utc("2026-03-30T07:00:00Z")), None);
}

#[test]
fn the_same_wall_clock_rule_freezes_different_instants_in_new_york_and_berlin() {
    let berlin = weekend_freeze();
    let new_york = weekly("Fri 18:00", "Mon 09:00", "America/New_York");

    // The weekend after the US moved its clocks (2026-03-08) and before the
    // EU does (2026-03-29): New York is on EDT, Berlin still on CET, five
    // hours apart instead of the usual six.
    let friday_evening_berlin = utc("2026-03-13T17:00:00Z");
    assert_eq!(
        berlin.active_at(friday_evening_berlin),
        Some((friday_evening_berlin, utc("2026-03-16T08:00:00Z")))
    );
    assert_eq!(
        new_york.active_at(friday_evening_berlin),
        None,
        "New York: Friday 13:00"
    );
    assert_eq!(
        new_york.active_at(utc("2026-03-14T12:00:00Z")),
        Some((utc("2026-03-13T22:00:00Z"), utc("2026-03-16T13:00:00Z")))
    );

    // The US clock-change weekend is short in New York, ordinary in Berlin.
    let (start, end) = new_york.active_at(utc("2026-03-07T12:00:00Z")).unwrap();
    assert_eq!(
        (start, end),
        (utc("2026-03-06T23:00:00Z"), utc("2026-03-09T13:00:00Z"))
    );
    assert_eq!(end - start, 62 * HOUR);
    let (start, end) = berlin.active_at(utc("2026-03-07T12:00:00Z")).unwrap();
    assert_eq!(end - start, 63 * HOUR);
}

#[test]
fn a_lunchtime_window_holds_within_one_wednesday() {
    let rule = weekly("Wed 12:00", "Wed 13:00", "Europe/Berlin");
    let lunch = (utc("2026-06-17T10:00:00Z"), utc("2026-06-17T11:00:00Z"));

    assert_eq!(rule.active_at(utc("2026-06-17T09:59:59Z")), None);
    assert_eq!(rule.active_at(utc("2026-06-17T10:30:00Z")), Some(lunch));
    assert_eq!(rule.active_at(utc("2026-06-17T11:00:00Z")), None);
    assert_eq!(
        rule.active_at(utc("2026-06-20T10:30:00Z")),
        None,
        "Saturday"
    );
    assert_eq!(
        rule.next_after(utc("2026-06-17T10:30:00Z")),
        Some((utc("2026-06-24T10:00:00Z"), utc("2026-06-24T11:00:00Z")))
    );
}

#[test]
fn a_window_ending_earlier_on_its_own_weekday_runs_until_the_next_week() {
    let rule = weekly("Wed 13:00", "Wed 12:00", "Europe/Berlin");

    assert_eq!(
        rule.active_at(utc("2026-06-20T10:00:00Z")),
        Some((utc("2026-06-17T11:00:00Z"), utc("2026-06-24T10:00:00Z")))
    );
    assert_eq!(
        rule.active_at(utc("2026-06-24T10:30:00Z")),
        None,
        "Wednesday 12:30"
    );
}

#[test]
fn a_sunday_night_window_wraps_into_monday() {
    let rule = weekly("Sun 22:00", "Mon 06:00", "Europe/Berlin");
    let night = (utc("2026-06-14T20:00:00Z"), utc("2026-06-15T04:00:00Z"));

    assert_eq!(
        rule.active_at(utc("2026-06-14T19:59:59Z")),
        None,
        "Sunday 21:59:59"
    );
    assert_eq!(
        rule.active_at(utc("2026-06-14T20:00:00Z")),
        Some(night),
        "Sunday 22:00"
    );
    assert_eq!(
        rule.active_at(utc("2026-06-14T23:00:00Z")),
        Some(night),
        "Monday 01:00"
    );
    assert_eq!(
        rule.active_at(utc("2026-06-15T04:00:00Z")),
        None,
        "Monday 06:00"
    );
}

#[test]
fn a_start_skipped_by_spring_forward_begins_when_the_clock_jumps_to_three() {
    let rule = weekly("Sun 02:30", "Sun 06:00", "Europe/Berlin");
    // 02:30 does not exist on 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST.
    let short = (utc("2026-03-29T01:00:00Z"), utc("2026-03-29T04:00:00Z"));

    assert_eq!(
        rule.active_at(utc("2026-03-29T00:59:59Z")),
        None,
        "01:59:59 CET"
    );
    assert_eq!(
        rule.active_at(utc("2026-03-29T01:00:00Z")),
        Some(short),
        "03:00 CEST"
    );
    assert_eq!(rule.next_after(utc("2026-03-28T12:00:00Z")), Some(short));
    // An ordinary Sunday still starts at 02:30.
    assert_eq!(
        rule.active_at(utc("2026-03-22T02:00:00Z")),
        Some((utc("2026-03-22T01:30:00Z"), utc("2026-03-22T05:00:00Z")))
    );
}

#[test]
fn a_start_repeated_by_fall_back_begins_at_its_first_occurrence() {
    let rule = weekly("Sun 02:30", "Sun 06:00", "Europe/Berlin");
    // 02:30 happens twice on 2026-10-25 in Berlin; the first is 02:30 CEST.
    assert_eq!(
        rule.active_at(utc("2026-10-25T00:30:00Z")),
        Some((utc("2026-10-25T00:30:00Z"), utc("2026-10-25T05:00:00Z")))
    );
}

#[test]
fn a_one_off_christmas_freeze_holds_only_between_its_dates() {
    let rule = once("2026-12-24 18:00", "2026-12-27 09:00", "Europe/Berlin");
    let christmas = (utc("2026-12-24T17:00:00Z"), utc("2026-12-27T08:00:00Z"));

    assert_eq!(rule.active_at(utc("2026-12-24T16:59:59Z")), None, "before");
    assert_eq!(
        rule.next_after(utc("2026-12-01T00:00:00Z")),
        Some(christmas),
        "coming up"
    );
    assert_eq!(
        rule.active_at(utc("2026-12-24T17:00:00Z")),
        Some(christmas),
        "at its start"
    );
    assert_eq!(
        rule.active_at(utc("2026-12-25T12:00:00Z")),
        Some(christmas),
        "inside"
    );
    assert_eq!(
        rule.next_after(utc("2026-12-25T12:00:00Z")),
        None,
        "already started"
    );
    assert_eq!(
        rule.active_at(utc("2026-12-27T08:00:00Z")),
        None,
        "at its end"
    );
    assert_eq!(
        rule.next_after(utc("2027-01-05T00:00:00Z")),
        None,
        "long past"
    );
}

#[test]
fn next_weekly_window_from_inside_one_is_the_following_weekend() {
    let rule = weekend_freeze();
    let following = (utc("2026-06-19T16:00:00Z"), utc("2026-06-22T07:00:00Z"));

    assert_eq!(
        rule.next_after(utc("2026-06-13T10:00:00Z")),
        Some(following),
        "Saturday"
    );
    assert_eq!(
        rule.next_after(utc("2026-06-12T16:00:00Z")),
        Some(following),
        "at its start"
    );
    assert_eq!(
        rule.next_after(utc("2026-06-12T15:59:59Z")),
        Some((utc("2026-06-12T16:00:00Z"), utc("2026-06-15T07:00:00Z"))),
        "a second before"
    );
}

#[test]
fn people_can_write_weekdays_and_times_loosely() {
    let friday_six = (Weekday::Friday, time(18, 0, 0, 0));
    assert_eq!(parse_weekly("Fri 18:00"), Ok(friday_six));
    assert_eq!(parse_weekly("friday 18:00"), Ok(friday_six));
    assert_eq!(parse_weekly("  FRIDAY   18:00 "), Ok(friday_six));
    assert_eq!(
        parse_weekly("FRI 9:05"),
        Ok((Weekday::Friday, time(9, 5, 0, 0)))
    );
    assert_eq!(
        parse_weekly("sun 0:00"),
        Ok((Weekday::Sunday, time(0, 0, 0, 0)))
    );

    let eve = date(2026, 12, 24).at(18, 0, 0, 0);
    assert_eq!(parse_local("2026-12-24 18:00"), Ok(eve));
    assert_eq!(parse_local("2026-12-24T18:00"), Ok(eve));
}

#[test]
fn stored_text_reads_back_as_the_same_window() {
    assert_eq!(
        format_weekly(Weekday::Monday, time(9, 0, 0, 0)),
        "Mon 09:00"
    );
    assert_eq!(
        format_local(date(2026, 12, 24).at(18, 0, 0, 0)),
        "2026-12-24 18:00"
    );
    assert_eq!(
        describe(&weekend_freeze()),
        "Fri 18:00 – Mon 09:00 (Europe/Berlin)"
    );
    assert_eq!(
        describe(&once(
            "2026-12-24 18:00",
            "2026-12-27 09:00",
            "Europe/Berlin"
        )),
        "2026-12-24 18:00 – 2026-12-27 09:00 (Europe/Berlin)"
    );
    assert_eq!(
        describe(&weekly("Sat 00:00", "Sun 00:00", "UTC")),
        "Sat 00:00 – Sun 00:00 (UTC)"
    );
}

/// The refusal in `result`, which must name the bad text so a person can fix it.
fn refusal<T: std::fmt::Debug>(result: Result<T, String>, names: &str) -> String {
    let message = result.unwrap_err();
    assert!(message.contains(names), "{message:?} should name {names:?}");
    assert!(message.ends_with('.'), "{message:?} should be a sentence");
    message
}

#[test]
fn bad_weekly_text_is_refused_with_a_sentence_naming_it() {
    let message = refusal(parse_weekly("Fry 18:00"), "`Fry 18:00`");
    assert!(
        message.contains("`Fry` is not an English weekday"),
        "{message}"
    );
    let message = refusal(parse_weekly("Fri 25:00"), "`25:00`");
    assert!(message.contains("not a time of day"), "{message}");
    let message = refusal(parse_weekly("Fri 12:60"), "`12:60`");
    assert!(message.contains("not a time of day"), "{message}");
    refusal(parse_weekly("Fri 6pm"), "`6pm`");
    refusal(parse_weekly("Fri"), "`Fri`");
    refusal(parse_weekly("Fri 18:00 Berlin"), "`Fri 18:00 Berlin`");
    refusal(parse_weekly("   "), "empty");
}

#[test]
fn bad_dates_and_zones_are_refused_with_a_sentence_naming_them() {
    refusal(
        parse_local("2026-02-30 18:00"),
        "`2026-02-30` is not a day in the calendar",
    );
    refusal(parse_local("24.12.2026 18:00"), "`24.12.2026`");
    refusal(parse_local("2026-12-24 24:00"), "`24:00`");
    refusal(parse_local("2026-12-24"), "`2026-12-24`");
    refusal(parse_local(""), "empty");

    refusal(parse_time_zone("Mars/Olympus"), "`Mars/Olympus`");
    refusal(parse_time_zone("Etc/Unknown"), "`Etc/Unknown`");
    refusal(parse_time_zone(""), "empty");
}

#[test]
fn windows_that_never_hold_are_refused() {
    let berlin = parse_time_zone("Europe/Berlin").unwrap();
    let friday_six = parse_weekly("Fri 18:00").unwrap();
    let same = Window::Weekly {
        from: friday_six,
        until: friday_six,
    };
    let message = refusal(
        FreezeRule::new(same, berlin.clone()),
        "`Fri 18:00 – Fri 18:00 (Europe/Berlin)`",
    );
    assert!(
        message.contains("starts and ends at the same time"),
        "{message}"
    );

    let backwards = Window::Once {
        from: parse_local("2026-12-27 09:00").unwrap(),
        until: parse_local("2026-12-24 18:00").unwrap(),
    };
    let message = refusal(
        FreezeRule::new(backwards, berlin.clone()),
        "`2026-12-27 09:00 – 2026-12-24 18:00 (Europe/Berlin)`",
    );
    assert!(message.contains("must end after it starts"), "{message}");

    let in_the_gap = Window::Once {
        from: parse_local("2026-03-29 02:10").unwrap(),
        until: parse_local("2026-03-29 02:40").unwrap(),
    };
    let message = refusal(FreezeRule::new(in_the_gap, berlin), "Europe/Berlin");
    assert!(message.contains("daylight-saving gap"), "{message}");
}

fn services(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

#[test]
fn a_lock_on_the_whole_environment_covers_every_service_there() {
    assert!(covers("Stg-1", None, "Stg-1", &services(&["api"])));
    assert!(covers("Stg-1", None, "Stg-1", &services(&["api", "web"])));
    assert!(covers("Stg-1", None, "Stg-1", &[]));
}

#[test]
fn a_lock_on_one_service_covers_only_writes_touching_it() {
    assert!(covers(
        "Stg-1",
        Some("api"),
        "Stg-1",
        &services(&["web", "api"])
    ));
    assert!(!covers("Stg-1", Some("api"), "Stg-1", &services(&["web"])));
    assert!(!covers("Stg-1", Some("api"), "Stg-1", &services(&["API"])));
    // A write to the whole environment touches the locked service too.
    assert!(covers("Stg-1", Some("api"), "Stg-1", &[]));
}

#[test]
fn a_lock_never_covers_another_environment() {
    assert!(!covers("Stg-1", None, "Stg-2", &services(&["api"])));
    assert!(!covers("Stg-1", Some("api"), "Stg-2", &services(&["api"])));
    assert!(!covers("Stg-1", None, "Stg-2", &[]));
    assert!(!covers("prod", None, "Prod", &[]), "names compare exactly");
}

#[test]
fn a_hold_is_in_force_until_its_end_or_until_ended_by_hand() {
    let now = utc("2026-06-12T12:00:00Z");
    assert!(in_force(None, now));
    assert!(in_force(Some(now + 1), now));
    assert!(!in_force(Some(now), now));
    assert!(!in_force(Some(now - HOUR), now));
}

#[test]
fn bookings_sharing_a_day_overlap_and_back_to_back_ones_do_not() {
    let first_week = (date(2026, 6, 8), date(2026, 6, 12));
    assert!(
        dates_overlap(first_week, (date(2026, 6, 12), date(2026, 6, 19))),
        "same day"
    );
    assert!(
        dates_overlap((date(2026, 6, 12), date(2026, 6, 19)), first_week),
        "either order"
    );
    assert!(
        !dates_overlap(first_week, (date(2026, 6, 13), date(2026, 6, 19))),
        "next day"
    );
    assert!(
        dates_overlap(first_week, (date(2026, 6, 10), date(2026, 6, 10))),
        "one day inside"
    );
    assert!(
        dates_overlap(first_week, (date(2026, 6, 1), date(2026, 6, 30))),
        "around it"
    );
    assert!(
        !dates_overlap(first_week, (date(2026, 6, 11), date(2026, 6, 9))),
        "backwards"
    );
}

/// Whether a person in Berlin would call this moment "the weekend freeze".
fn berlin_clock_says_weekend(instant: i64) -> bool {
    let zone = TimeZone::get("Europe/Berlin").unwrap();
    let wall = zone.to_datetime(Timestamp::from_second(instant).unwrap());
    match wall.weekday() {
        Weekday::Friday => wall.time() >= time(18, 0, 0, 0),
        Weekday::Saturday | Weekday::Sunday => true,
        Weekday::Monday => wall.time() < time(9, 0, 0, 0),
        _ => false,
    }
}

proptest! {
    #[test]
    fn weekend_freeze_matches_the_berlin_wall_clock_all_year(
        instant in utc("2026-01-01T00:00:00Z")..utc("2027-01-01T00:00:00Z")
    ) {
        let rule = weekend_freeze();
        let active = rule.active_at(instant);
        prop_assert_eq!(active.is_some(), berlin_clock_says_weekend(instant));
        if let Some((start, end)) = active {
            prop_assert!(start <= instant && instant < end);
            prop_assert!([62 * HOUR, 63 * HOUR, 64 * HOUR].contains(&(end - start)));
        }
        let (start, end) = rule.next_after(instant).unwrap();
        // A week of wall-clock time: an hour more across the autumn change.
        prop_assert!(instant < start && start - instant <= 7 * 24 * HOUR + HOUR);
        prop_assert_eq!(rule.active_at(start), Some((start, end)));
        prop_assert_eq!(rule.active_at(start - 1), None);
    }

    #[test]
    fn formatted_windows_parse_back_unchanged(
        day in 0i8..7, hour in 0i8..24, minute in 0i8..60,
        year in 0i16..=9999, month in 1i8..=12, day_of_month in 1i8..=28,
    ) {
        let day = Weekday::from_monday_zero_offset(day).unwrap();
        let at = time(hour, minute, 0, 0);
        prop_assert_eq!(parse_weekly(&format_weekly(day, at)), Ok((day, at)));
        let local = date(year, month, day_of_month).to_datetime(at);
        prop_assert_eq!(parse_local(&format_local(local)), Ok(local));
    }
}
