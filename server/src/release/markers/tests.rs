use app::model::ReleaseOutcome;

use super::*;

fn release(service: &str) -> Release {
    Release {
        id: 7,
        service: service.into(),
        environment: "prod".into(),
        sha: "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2".into(),
        image_tag: "main-c2c2c2c".into(),
        started_at: 1_796_115_600,
        finished_at: Some(1_796_115_660),
        outcome: ReleaseOutcome::Deployed,
        trigger: "build".into(),
        triggered_by: "ci".into(),
        committed_at: Some(1_796_115_000),
        lead_time_secs: Some(660),
    }
}

#[test]
fn each_sink_gets_the_deploy_in_its_own_shape() {
    let r = release("app-a");
    let slack = payload(MarkerKind::Slack, &r, None);
    assert_eq!(
        slack["text"],
        "Deployed app-a main-c2c2c2c (c2c2c2c) to prod, 11 min after its commit"
    );
    let grafana = payload(MarkerKind::Grafana, &r, None);
    assert_eq!(grafana["time"], 1_796_115_600_000_i64);
    assert_eq!(grafana["timeEnd"], 1_796_115_660_000_i64);
    assert_eq!(grafana["tags"][2], "service:app-a");
    let webhook = payload(MarkerKind::Webhook, &r, None);
    assert_eq!(webhook["release"]["image_tag"], "main-c2c2c2c");
}

#[test]
fn new_relic_gets_its_values_as_variables_not_query_text() {
    let r = release("app-a\") { evil } #");
    let body = payload(MarkerKind::NewRelic, &r, Some("GUID-1"));
    let query = body["query"].as_str().unwrap();
    assert!(!query.contains("evil"), "{query}");
    let deployment = &body["variables"]["deployment"];
    assert_eq!(deployment["entityGuid"], "GUID-1");
    assert_eq!(deployment["version"], "main-c2c2c2c");
    assert_eq!(deployment["commit"], r.sha);
    assert_eq!(deployment["timestamp"], 1_796_115_660_000_i64);
}

#[test]
fn messages_name_the_host_and_never_the_secret_path() {
    assert_eq!(
        host_of("https://hooks.slack.com/services/T0/B0/SECRET"),
        "hooks.slack.com"
    );
    assert_eq!(host_of("http://127.0.0.1:9/x"), "127.0.0.1:9");
}

#[test]
fn a_new_relic_answer_with_errors_is_a_failure() {
    let refused = br#"{"data":{"changeTrackingCreateDeployment":null},"errors":[{"message":"Entity not found"}]}"#;
    assert_eq!(
        nerdgraph_errors(refused).as_deref(),
        Some("New Relic refused the change: Entity not found")
    );
    let created = br#"{"data":{"changeTrackingCreateDeployment":{"deploymentId":"d1"}}}"#;
    assert_eq!(nerdgraph_errors(created), None);
    assert_eq!(nerdgraph_errors(br#"{"errors":[]}"#), None);
}
