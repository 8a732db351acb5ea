use axum::response::IntoResponse;
use serde_json::Value;

use super::setup::*;

/// A local receiver of deploy markers: answers 500 to its first
/// `failures` requests, then 200, and keeps every body it accepted.
async fn receiver(
    failures: usize,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>,
) {
    use std::sync::{atomic::AtomicUsize, Arc, Mutex};
    let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let kept = Arc::clone(&seen);
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
            let (kept, calls) = (Arc::clone(&kept), Arc::clone(&calls));
            async move {
                if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < failures {
                    return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "busy").into_response();
                }
                let auth = headers
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                kept.lock().unwrap().push((
                    format!("{} {auth}", uri.path()),
                    serde_json::from_str(&body).unwrap(),
                ));
                axum::http::StatusCode::OK.into_response()
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn each_prod_deploy_is_marked_and_a_failing_sink_is_retried_and_shown() {
    let (grafana, annotations) = receiver(0).await;
    let (hook, hooked) = receiver(2).await;
    std::env::set_var("MARKER_TEST_TOKEN", "grafana-token");
    let markers = format!(
        "marker_retry_secs = 1\n\n[[releases.markers]]\nname = \"grafana\"\nkind = \"grafana\"\nurl = {grafana:?}\ntoken_env = \"MARKER_TEST_TOKEN\"\n\n[[releases.markers]]\nname = \"deploys-hook\"\nkind = \"webhook\"\nurl = \"{hook}/deploys\"\n"
    );
    let s = setup_with(&markers).await;
    s.signed("push", "p-1", &push(&[C1])).await;
    s.signed("workflow_run", "r-1", &run("main", C1, "success"))
        .await;
    s.until_tag("prod runs C1", "app-a-prod", "main-c1c1c1c")
        .await;
    // Dev and Stg releases are not marked; nothing is sent before the deploy.
    assert!(annotations.lock().unwrap().is_empty());
    s.report("app-a-prod", "main-c1c1c1c", "Healthy");
    until("Grafana has its annotation", || async {
        !annotations.lock().unwrap().is_empty()
    })
    .await;
    let (path, annotation) = annotations.lock().unwrap()[0].clone();
    assert_eq!(path, "/api/annotations Bearer grafana-token");
    assert_eq!(annotation["tags"][2], "service:app-a");
    // The failing sink is shown on the prod page while it is retried.
    until("the prod page shows the failing marker", || async {
        s.server.get("/prod").await.1.contains("HTTP 500: busy")
    })
    .await;
    until("the webhook got its marker after two failures", || async {
        !hooked.lock().unwrap().is_empty()
    })
    .await;
    let (path, body) = hooked.lock().unwrap()[0].clone();
    assert_eq!(path.trim(), "/deploys");
    assert_eq!(body["release"]["image_tag"], "main-c1c1c1c");
    until("the prod page no longer shows it", || async {
        !s.server
            .get("/prod")
            .await
            .1
            .contains("Deploy markers not sent")
    })
    .await;
}

#[tokio::test]
async fn sharing_events_are_notified_once_each_and_retried() {
    let (hook, heard) = receiver(1).await;
    let config = format!(
        "marker_retry_secs = 1\n\n[[releases.markers]]\nname = \"team\"\nkind = \"webhook\"\nurl = \"{hook}/team\"\n\n[sharing]\nnotify = [\"team\"]\n"
    );
    let s = setup_edited(&config, |c| c.auth.admins = vec!["root".into()]).await;
    let root = s.server.token("root").await;
    let lock = serde_json::json!({ "environment": "stg-1", "reason": "release tests" });
    let (status, _) = s
        .server
        .send(
            reqwest::Method::POST,
            "/api/v1/locks",
            Some(&root),
            Some(lock),
        )
        .await;
    assert_eq!(status, 201);
    let now = berth::clock::unix_now();
    let minute = |t: i64| app::format::utc(t)[..16].to_string();
    let freeze = serde_json::json!({ "environment": "dev", "weekly": false,
        "starts": minute(now - 60), "ends": minute(now + 3600), "time_zone": "UTC", "reason": "quarter close" });
    let (status, _) = s
        .server
        .send(
            reqwest::Method::POST,
            "/api/v1/freezes",
            Some(&root),
            Some(freeze),
        )
        .await;
    assert_eq!(status, 201);
    // The first attempt fails (500); the retry delivers.
    until("both notifications arrive", || async {
        heard.lock().unwrap().len() >= 2
    })
    .await;
    // Several rereads later, the freeze was still told of once.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let heard = heard.lock().unwrap().clone();
    let events: Vec<&str> = heard
        .iter()
        .map(|(_, body)| body["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events.iter().filter(|e| **e == "lock").count(),
        1,
        "{heard:?}"
    );
    assert_eq!(
        events.iter().filter(|e| **e == "freeze-started").count(),
        1,
        "{heard:?}"
    );
    let lock = heard.iter().find(|(_, b)| b["event"] == "lock").unwrap();
    assert_eq!(lock.0, "/team ");
    assert_eq!(lock.1["environment"], "stg-1");
    assert!(
        lock.1["text"].as_str().unwrap().contains("locked by root"),
        "{lock:?}"
    );
}
