//! Builds, the pipeline and releases: what the release engine relies on.

use app::model::{Build, BuildResult, BuildRun, PipelineCommit, ReleaseOutcome, Stage};

use super::fresh;
use crate::store::{BuildStored, NewRelease, ReleaseStore};

const NOW: i64 = 1_800_000_000;

fn build(sha: &str, tag: &str, result: BuildResult, finished_at: i64) -> Build {
    Build {
        service: "app-a".into(),
        branch: "main".into(),
        sha: sha.into(),
        image_tag: tag.into(),
        result,
        finished_at,
        reported_by: "ci".into(),
    }
}

fn commit(sha: &str, position: i64, stage: Stage) -> PipelineCommit {
    PipelineCommit {
        service: "app-a".into(),
        sha: sha.into(),
        position,
        author: "ann".into(),
        message: "m".into(),
        committed_at: NOW,
        pushed_at: NOW,
        stage,
        stage_at: NOW,
        built_at: None,
        deploy_started_at: None,
        deploy_ended_at: None,
        image_tag: None,
        note: String::new(),
    }
}

#[tokio::test]
async fn a_build_is_stored_once_and_a_later_rerun_changes_its_result() {
    let db = fresh().await;
    let red = build("aaa", "main-aaa", BuildResult::Failure, NOW);
    assert_eq!(db.record_build(&red, NOW).await.unwrap(), BuildStored::New);
    assert_eq!(
        db.record_build(&red, NOW).await.unwrap(),
        BuildStored::Unchanged
    );
    assert_eq!(db.newest_green_build("app-a", "main").await.unwrap(), None);
    // A re-run that passed, reported later, wins; an older report does not.
    let green = build("aaa", "main-aaa", BuildResult::Success, NOW + 60);
    assert_eq!(
        db.record_build(&green, NOW).await.unwrap(),
        BuildStored::Changed
    );
    let stale = build("aaa", "main-aaa", BuildResult::Failure, NOW + 30);
    assert_eq!(
        db.record_build(&stale, NOW).await.unwrap(),
        BuildStored::Unchanged
    );
    assert_eq!(
        db.newest_green_build("app-a", "main").await.unwrap(),
        Some(green.clone())
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM builds").await, 1);
    let newer = build("bbb", "main-bbb", BuildResult::Success, NOW + 120);
    db.record_build(&newer, NOW).await.unwrap();
    assert_eq!(
        db.newest_green_build("app-a", "main").await.unwrap(),
        Some(newer)
    );
    assert_eq!(
        db.green_build_of("app-a", "main", "aaa").await.unwrap(),
        Some(green)
    );
    // The same commit built on another branch is not a build of this one.
    assert_eq!(
        db.green_build_of("app-a", "feature", "aaa").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn a_tag_names_the_commit_it_was_first_reported_for() {
    let db = fresh().await;
    let green = build("abcdef1aaa", "main-abcdef1", BuildResult::Success, NOW);
    db.record_build(&green, NOW).await.unwrap();
    let collision = build("abcdef1bbb", "main-abcdef1", BuildResult::Success, NOW);
    assert_eq!(
        db.record_build(&collision, NOW).await.unwrap(),
        BuildStored::TagTaken("abcdef1aaa".into())
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM builds").await, 1);
    assert_eq!(
        db.tag_taken("app-a", "main-abcdef1", "abcdef1bbb")
            .await
            .unwrap()
            .as_deref(),
        Some("abcdef1aaa")
    );
    assert_eq!(
        db.tag_taken("app-a", "main-abcdef1", "abcdef1aaa")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.tag_taken("app-b", "main-abcdef1", "abcdef1bbb")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn of_reports_racing_for_one_tag_only_one_is_stored() {
    let db = fresh().await;
    let reports: Vec<Build> = (0..8)
        .map(|n| {
            build(
                &format!("abcdef1{n:03}"),
                "main-abcdef1",
                BuildResult::Success,
                NOW,
            )
        })
        .collect();
    let stored = futures::future::join_all(reports.iter().map(|b| db.record_build(b, NOW))).await;
    let new = stored
        .iter()
        .filter(|s| matches!(s, Ok(BuildStored::New)))
        .count();
    let taken = stored
        .iter()
        .filter(|s| matches!(s, Ok(BuildStored::TagTaken(_))))
        .count();
    assert_eq!((new, taken), (1, 7), "{stored:?}");
    assert_eq!(db.count("SELECT COUNT(*) FROM builds").await, 1);
}

#[tokio::test]
async fn a_build_run_keeps_what_ci_said_before() {
    let db = fresh().await;
    let started = BuildRun {
        sha: "c1".into(),
        url: Some("https://ci.example/runs/1".into()),
        started_at: Some(NOW),
        finished_at: None,
    };
    db.record_run("app-a", &started, NOW).await.unwrap();
    // The completed event may carry no link; the one known stays.
    let finished = BuildRun {
        sha: "c1".into(),
        url: None,
        started_at: None,
        finished_at: Some(NOW + 240),
    };
    db.record_run("app-a", &finished, NOW + 240).await.unwrap();
    let runs = db
        .runs_of("app-a", &["c1".into(), "c2".into()])
        .await
        .unwrap();
    assert_eq!(
        runs,
        [BuildRun {
            finished_at: Some(NOW + 240),
            ..started.clone()
        }]
    );
    // "In progress" delivered after "completed" keeps the finish…
    db.record_run("app-a", &started, NOW + 250).await.unwrap();
    let runs = db.runs_of("app-a", &["c1".into()]).await.unwrap();
    assert_eq!(runs[0].finished_at, Some(NOW + 240));
    // …a re-run, starting after it, has not finished yet…
    let rerun = BuildRun {
        started_at: Some(NOW + 600),
        ..started.clone()
    };
    db.record_run("app-a", &rerun, NOW + 600).await.unwrap();
    let runs = db.runs_of("app-a", &["c1".into()]).await.unwrap();
    assert_eq!(
        (runs[0].started_at, runs[0].finished_at),
        (Some(NOW + 600), None)
    );
    // …and the first attempt's start, arriving late, does not replace it.
    db.record_run("app-a", &started, NOW + 610).await.unwrap();
    let runs = db.runs_of("app-a", &["c1".into()]).await.unwrap();
    assert_eq!(
        (runs[0].started_at, runs[0].finished_at),
        (Some(NOW + 600), None)
    );
    assert!(db
        .runs_of("app-b", &["c1".into()])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_delivery_is_recorded_once() {
    let db = fresh().await;
    assert!(!db.delivery_seen("d1").await.unwrap());
    assert!(db.claim_delivery("d1", "push", NOW, 600).await.unwrap());
    assert!(!db.claim_delivery("d1", "push", NOW, 600).await.unwrap());
    assert!(db.delivery_seen("d1").await.unwrap());
    // Given up, it may come again.
    db.forget_delivery("d1").await.unwrap();
    assert!(db.claim_delivery("d1", "push", NOW, 600).await.unwrap());
    // A claim left by a process that died is taken over after a while…
    assert!(!db
        .claim_delivery("d1", "push", NOW + 599, 600)
        .await
        .unwrap());
    assert!(db
        .claim_delivery("d1", "push", NOW + 601, 600)
        .await
        .unwrap());
    // …but a handled one never is.
    db.delivery_handled("d1").await.unwrap();
    assert!(!db
        .claim_delivery("d1", "push", NOW + 5000, 600)
        .await
        .unwrap());
    // A week later it is forgotten, as GitHub no longer redelivers it.
    db.claim_delivery("d2", "push", NOW + 8 * 86_400, 600)
        .await
        .unwrap();
    assert!(!db.delivery_seen("d1").await.unwrap());
    assert!(db.delivery_seen("d2").await.unwrap());
}

#[tokio::test]
async fn the_open_pipeline_is_what_is_in_flight_and_the_newest_started_commit() {
    let db = fresh().await;
    db.add_pipeline_commits(&[
        commit("a", 1, Stage::Deployed),
        commit("b", 2, Stage::DeployFailed),
        commit("c", 3, Stage::Failed),
        commit("d", 4, Stage::Building),
        commit("e", 5, Stage::Superseded),
    ])
    .await
    .unwrap();
    // Known commits keep their stage when pushed again.
    db.add_pipeline_commits(&[commit("d", 9, Stage::Pushed)])
        .await
        .unwrap();
    let mut open: Vec<(String, Stage)> = db
        .pipeline_open("app-a")
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.sha, c.stage))
        .collect();
    open.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        open,
        [
            ("b".to_string(), Stage::DeployFailed),
            ("d".to_string(), Stage::Building)
        ]
    );
    db.set_stage("app-a", "d", Stage::Passed, NOW + 5, Some("main-d"), "")
        .await
        .unwrap();
    let d = db.pipeline_commit("app-a", "d").await.unwrap().unwrap();
    assert_eq!(
        (d.stage, d.built_at, d.image_tag.as_deref()),
        (Stage::Passed, Some(NOW + 5), Some("main-d"))
    );
    let newest: Vec<String> = db
        .pipeline("app-a", 2)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.sha)
        .collect();
    assert_eq!(newest, ["e", "d"]);
}

#[tokio::test]
async fn a_release_ends_once_and_only_a_deployed_one_has_a_lead_time() {
    let db = fresh().await;
    let release = NewRelease {
        service: "app-a".into(),
        environment: "prod".into(),
        sha: "a".into(),
        image_tag: "main-a".into(),
        started_at: NOW,
        trigger: "build".into(),
        triggered_by: "ci".into(),
        committed_at: Some(NOW - 600),
    };
    let id = db.start_release(&release).await.unwrap();
    assert_eq!(db.open_releases().await.unwrap().len(), 1);
    assert!(db
        .finish_release(id, ReleaseOutcome::Deployed, NOW + 60)
        .await
        .unwrap());
    // A late second verdict does not overwrite the first, and says so.
    assert!(!db
        .finish_release(id, ReleaseOutcome::Failed, NOW + 90)
        .await
        .unwrap());
    assert!(db.open_releases().await.unwrap().is_empty());
    let done = db.latest_release("app-a", "prod").await.unwrap().unwrap();
    assert_eq!(done.outcome, ReleaseOutcome::Deployed);
    assert_eq!(done.lead_time_secs, Some(660));
    let failed = db
        .start_release(&NewRelease {
            sha: "b".into(),
            started_at: NOW + 100,
            ..release
        })
        .await
        .unwrap();
    db.finish_release(failed, ReleaseOutcome::Failed, NOW + 200)
        .await
        .unwrap();
    let listed = db.releases("prod", 10).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (listed[0].outcome, listed[0].lead_time_secs),
        (ReleaseOutcome::Failed, None)
    );
}
