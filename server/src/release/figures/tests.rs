use super::*;

/// The test's calendar starts at 2026-12-01 00:00 UTC.
const T: i64 = 1_796_083_200;
fn at(day: i64, hour: i64) -> i64 {
    T + day * DAY + hour * 3600
}

fn deployed(day: i64, hour: i64, service: u16, lead_time: i64) -> Record {
    Record {
        finished_at: at(day, hour),
        service,
        deployed: true,
        lead_time,
    }
}

fn failed(day: i64, hour: i64, service: u16) -> Record {
    Record {
        finished_at: at(day, hour),
        service,
        deployed: false,
        lead_time: -1,
    }
}

#[test]
fn deploys_are_counted_per_day_and_service_with_the_period_average() {
    let records = [
        deployed(-5, 9, 0, 600), // before the range: only in rolling averages
        deployed(0, 9, 0, 600),
        deployed(0, 10, 1, 1200),
        deployed(0, 11, 0, 1800),
        deployed(2, 9, 1, 2400),
    ];
    let figures = compute(&records, 2, 3, None, at(2, 20));
    assert_eq!(figures.from, at(0, 0));
    let counts: Vec<Vec<u32>> = figures.per_day.iter().map(|d| d.counts.clone()).collect();
    assert_eq!(counts, [vec![2, 1], vec![0, 0], vec![0, 1]]);
    assert_eq!(figures.deploys, 4);
    assert!((figures.per_day_average - 4.0 / 3.0).abs() < 1e-9);
    // Day 0's week: day -5 (1) and day 0 (3).
    assert!((figures.per_day[0].rolling_average - 4.0 / 7.0).abs() < 1e-9);
    let lead = figures.lead_time.unwrap();
    assert_eq!(
        (lead.median_secs, lead.p90_secs, lead.count),
        (1200, 2400, 4)
    );
    // Tomorrow's releases (a clock ahead) are not today's.
    let ahead = [deployed(3, 1, 0, 1)];
    assert_eq!(compute(&ahead, 2, 3, None, at(2, 20)).deploys, 0);
}

#[test]
fn failures_give_the_failure_rate_and_the_time_to_restore() {
    let records = [
        deployed(0, 8, 0, 60),
        failed(0, 9, 0),
        failed(0, 10, 0),
        deployed(0, 11, 1, 60), // another service does not restore service 0
        deployed(0, 12, 0, 60),
    ];
    let figures = compute(&records, 2, 7, None, at(0, 23));
    assert_eq!(figures.failures, 2);
    assert_eq!(figures.change_failure_rate, Some(2.0 / 5.0));
    let restore = figures.time_to_restore.unwrap();
    // From the first failure of the streak to the next good deploy.
    assert_eq!((restore.median_secs, restore.count), (3 * 3600, 1));
    // One service only.
    let only = compute(&records, 2, 7, Some(1), at(0, 23));
    assert_eq!(
        (only.deploys, only.failures, only.change_failure_rate),
        (1, 0, Some(0.0))
    );
    assert_eq!(only.time_to_restore, None);
}

#[test]
fn percentiles_are_by_nearest_rank() {
    let ten = spread((1..=10).collect()).unwrap();
    assert_eq!((ten.median_secs, ten.p90_secs), (5, 9));
    assert_eq!(spread(vec![]), None);
    assert_eq!(
        spread(vec![7]).map(|s| (s.median_secs, s.p90_secs)),
        Some((7, 7))
    );
}

#[test]
fn the_index_keeps_finished_prod_releases_in_time_order() {
    let index = ReleaseIndex::new(vec!["app-a".into(), "app-b".into()]);
    let release = |service: &str, finished: i64, outcome| Release {
        id: 0,
        service: service.into(),
        environment: "prod".into(),
        sha: "a".into(),
        image_tag: "t".into(),
        started_at: finished - 60,
        finished_at: Some(finished),
        outcome,
        trigger: "build".into(),
        triggered_by: "ci".into(),
        committed_at: Some(finished - 600),
        lead_time_secs: Some(600),
    };
    for (service, hour, outcome) in [
        ("app-a", 12, ReleaseOutcome::Deployed),
        ("app-b", 9, ReleaseOutcome::Deployed),
        ("app-a", 10, ReleaseOutcome::Superseded),
        ("gone", 10, ReleaseOutcome::Deployed),
    ] {
        index.add(&release(service, at(0, hour), outcome));
    }
    assert_eq!(index.len(), 2);
    index.add(&release("app-a", at(0, 10), ReleaseOutcome::Failed));
    let figures = index.figures(1, Some("app-a"), at(0, 23));
    assert_eq!(figures.service.as_deref(), Some("app-a"));
    assert_eq!((figures.deploys, figures.failures), (1, 1));
    assert_eq!(figures.time_to_restore.unwrap().median_secs, 2 * 3600);
    assert_eq!(index.figures(1, None, at(0, 23)).deploys, 2);
}
