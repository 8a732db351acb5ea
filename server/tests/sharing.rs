//! Locks, freezes and broken glass hold for every writer: the page's
//! server function, the REST API, and (in `releases/holds.rs`) builds.
//! A refusal writes nothing; an admin's broken glass writes and is
//! recorded on the lane and in the audit log.

mod common;

use common::{git, Server, Upstream, ENV_FILES, T0};
use reqwest::Method;
use serde_json::json;

const ROLES: &str = r#"
[auth]
admins = ["root"]
qa = ["quinn"]
"#;

async fn setup() -> (Upstream, Server) {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let server = Server::start_with(&upstream, true, ROLES).await;
    (upstream, server)
}

async fn set_branch(
    server: &Server,
    token: &str,
    service: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    set_branch_in(server, token, "stg-1", service, body).await
}

async fn set_branch_in(
    server: &Server,
    token: &str,
    environment: &str,
    service: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let path = format!("/api/v1/environments/{environment}/services/{service}");
    server
        .send(Method::POST, &path, Some(token), Some(body))
        .await
}

/// The promote button of the page, as its script sends it.
async fn promote_from_page(
    server: &Server,
    cookie: &str,
    changes: &str,
    glass: Option<&str>,
) -> (u16, String) {
    let mut form = vec![("environment", "stg-1"), ("changes", changes)];
    if let Some(reason) = glass {
        form.push(("break_glass", reason));
    }
    let response = server
        .client()
        .post(format!("{}/api/promote", server.base))
        .header("origin", &server.base)
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn stg1(upstream: &Upstream) -> String {
    git(
        &upstream.bare,
        &["show", "main:environments/stg-1.yaml"],
        &[],
    )
}

async fn audit_actions(server: &Server) -> Vec<(String, String, String)> {
    let rows = server
        .state
        .actions
        .store
        .audit(&Default::default())
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| (r.action, r.outcome, r.message))
        .collect()
}

#[tokio::test]
async fn a_locked_environment_refuses_the_page_and_the_api_until_the_glass_is_broken() {
    let (upstream, server) = setup().await;
    let quinn = server.token("quinn").await;
    let root = server.token("root").await;
    let lock =
        json!({"environment": "stg-1", "reason": "release tests for photo-books", "hours": 2});
    let (status, body) = server
        .send(Method::POST, "/api/v1/locks", Some(&quinn), Some(lock))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["by"], "quinn");
    let before = upstream.head();
    let file = stg1(&upstream);

    // The REST API: 423 with who and why, nothing committed.
    let (status, body) = set_branch(&server, &quinn, "app-a", json!({"branch": "feature-x"})).await;
    assert_eq!(status, 423, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("stg-1 is locked by quinn"), "{error}");
    assert!(error.contains("release tests for photo-books"), "{error}");
    // The page's server function: the same refusal.
    let cookie = server.sign_in("quinn").await;
    let (status, text) = promote_from_page(&server, &cookie, "app-a=feature-x\n", None).await;
    assert_eq!(status, 423, "{text}");
    assert!(text.contains("locked by quinn"), "{text}");
    assert_eq!(upstream.head(), before);
    assert_eq!(stg1(&upstream), file);

    // Only an admin may break the glass.
    let glass = json!({"branch": "feature-x", "break_glass": "hotfix for incident 4711"});
    let (status, body) = set_branch(&server, &quinn, "app-a", glass.clone()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(upstream.head(), before);
    let (status, body) = set_branch(&server, &root, "app-a", glass).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(upstream.head(), before);
    assert!(
        stg1(&upstream).contains("app-a: \"feature-x\""),
        "{}",
        stg1(&upstream)
    );

    // The lane shows the lock and the broken glass; the audit log has both.
    let holds = server.json("/api/v1/holds").await;
    let lane = holds["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["environment"] == "stg-1")
        .unwrap();
    assert_eq!(lane["locks"][0]["reason"], "release tests for photo-books");
    assert_eq!(lane["glass_breaks"][0]["by"], "root");
    assert_eq!(
        lane["glass_breaks"][0]["reason"],
        "hotfix for incident 4711"
    );
    let actions = audit_actions(&server).await;
    assert!(
        actions.contains(&("lock".into(), "committed".into(), String::new())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&(
            "break-glass".into(),
            "committed".into(),
            "hotfix for incident 4711".into()
        )),
        "{actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|(a, o, m)| a == "promote" && o == "refused" && m.contains("locked by quinn")),
        "{actions:?}"
    );

    // Lifted, anyone who may write writes again.
    let id = lane["locks"][0]["id"].as_i64().unwrap();
    let (status, body) = server
        .send(
            Method::DELETE,
            &format!("/api/v1/locks/{id}"),
            Some(&quinn),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = set_branch(&server, &quinn, "app-c", json!({"branch": "master"})).await;
    assert_eq!(status, 200, "{body}");
    // Lifting twice is a clear 404, not a second row saying it worked.
    let (status, _) = server
        .send(
            Method::DELETE,
            &format!("/api/v1/locks/{id}"),
            Some(&quinn),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_service_lock_holds_only_that_service() {
    let (upstream, server) = setup().await;
    let quinn = server.token("quinn").await;
    let lock = json!({"environment": "stg-1", "service": "app-a", "reason": "perf run"});
    let (status, body) = server
        .send(Method::POST, "/api/v1/locks", Some(&quinn), Some(lock))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = set_branch(&server, &quinn, "app-a", json!({"branch": "feature-x"})).await;
    assert_eq!(status, 423, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("app-a in stg-1 is locked"),
        "{body}"
    );
    let (status, body) = set_branch(&server, &quinn, "app-c", json!({"branch": "master"})).await;
    assert_eq!(status, 200, "{body}");
    assert!(stg1(&upstream).contains("app-c: master"));
    // The overview's cell says so, so nobody reads it as free.
    let (_, page) = server.get("/").await;
    assert!(
        page.contains("locked by quinn: perf run"),
        "the cell shows the lock"
    );
}

#[tokio::test]
async fn a_freeze_window_in_force_refuses_writes_and_says_until_when() {
    let (upstream, server) = setup().await;
    let root = server.token("root").await;
    let now = berth::clock::unix_now();
    let at = |t: i64| {
        // `YYYY-MM-DD HH:MM` in UTC.
        let text = app::format::utc(t);
        text[..16].to_string()
    };
    let freeze = json!({
        "environment": "stg-1", "weekly": false,
        "starts": at(now - 3600), "ends": at(now + 7200),
        "time_zone": "UTC", "reason": "quarter close"
    });
    let (status, body) = server
        .send(Method::POST, "/api/v1/freezes", Some(&root), Some(freeze))
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(body["active"].is_array(), "{body}");
    let before = upstream.head();
    let (status, body) = set_branch(&server, &root, "app-a", json!({"branch": "feature-x"})).await;
    assert_eq!(status, 423, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("stg-1 is frozen until"), "{error}");
    assert!(error.contains("quarter close"), "{error}");
    assert_eq!(upstream.head(), before);
    // Dev is not frozen.
    let (status, body) = server
        .send(
            Method::POST,
            "/api/v1/environments/dev/services/app-a",
            Some(&root),
            Some(json!({"branch": "feature-x"})),
        )
        .await;
    assert_ne!(status, 423, "{body}");
}

#[tokio::test]
async fn bad_locks_and_freezes_are_refused_whole_and_only_qa_and_admin_set_them() {
    let (_upstream, server) = setup().await;
    let dave = server.token("dave").await;
    let root = server.token("root").await;
    let lock = json!({"environment": "stg-1", "reason": "mine"});
    let (status, _) = server
        .send(Method::POST, "/api/v1/locks", Some(&dave), Some(lock))
        .await;
    assert_eq!(status, 403);
    let cases = [
        (
            json!({"environment": "nope", "reason": ""}),
            "no environment `nope`; say why",
        ),
        (
            json!({"environment": "stg-1", "service": "x", "reason": "a\nb"}),
            "no service `x`; the reason must be one line",
        ),
        (
            json!({"environment": "stg-1", "reason": "deploy \u{202E}kcab"}),
            "one line of visible text",
        ),
        (
            json!({"environment": "stg-1", "reason": "r", "hours": 100000}),
            "at most 336 hours",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = server
            .send(Method::POST, "/api/v1/locks", Some(&root), Some(body))
            .await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(expected),
            "{answer}"
        );
    }
    let freezes = [
        (
            json!({"weekly": true, "starts": "Fry 18:00", "ends": "Mon 09:00", "reason": "r"}),
            "Fry",
        ),
        (
            json!({"weekly": true, "starts": "Fri 18:00", "ends": "Mon 09:00", "time_zone": "Mars/Olympus", "reason": "r"}),
            "Mars/Olympus",
        ),
        (
            json!({"weekly": false, "starts": "2020-01-01 10:00", "ends": "2020-01-02 10:00", "reason": "r"}),
            "already over",
        ),
        (
            json!({"weekly": true, "starts": "Fri 18:00", "ends": "Mon 09:00", "reason": "r", "extra": 1}),
            "unknown field",
        ),
    ];
    for (body, expected) in freezes {
        let (status, answer) = server
            .send(Method::POST, "/api/v1/freezes", Some(&root), Some(body))
            .await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(expected),
            "{answer}"
        );
    }
    let holds = server.json("/api/v1/holds").await;
    assert!(holds["freezes"].as_array().unwrap().is_empty());
    assert!(holds["environments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["locks"].as_array().unwrap().is_empty()));
}

#[tokio::test]
async fn a_claim_on_dev_asks_others_to_confirm_and_records_the_override() {
    let (upstream, server) = setup().await;
    let kim = server.token("kim").await;
    let dave = server.token("dave").await;
    let claim = json!({"environment": "dev", "services": ["app-a"], "purpose": "testing checkout"});
    let (status, body) = server
        .send(Method::POST, "/api/v1/claims", Some(&kim), Some(claim))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["by"], "kim");
    let id = body["id"].as_i64().unwrap();
    // Two hours by default.
    let length = body["until"].as_i64().unwrap() - body["since"].as_i64().unwrap();
    assert_eq!(length, 2 * 3600);
    // A second claim over it is refused, naming the holder.
    let again = json!({"environment": "dev", "purpose": "mine"});
    let (status, body) = server
        .send(Method::POST, "/api/v1/claims", Some(&dave), Some(again))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("claimed by kim"),
        "{body}"
    );
    // Stg is booked, not claimed.
    let stg = json!({"environment": "stg-1", "purpose": "x"});
    let (status, _) = server
        .send(Method::POST, "/api/v1/claims", Some(&kim), Some(stg))
        .await;
    assert_eq!(status, 400);

    // Someone else changing app-a is asked to confirm; nothing is written.
    let before = upstream.head();
    let (status, body) = set_branch_in(
        &server,
        &dave,
        "dev",
        "app-a",
        json!({"branch": "feature-x"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("app-a in dev is claimed by kim"), "{error}");
    assert!(error.contains("testing checkout"), "{error}");
    assert_eq!(upstream.head(), before);
    // The holder changes it without being asked; others' other services too.
    let (status, body) = set_branch_in(
        &server,
        &kim,
        "dev",
        "app-a",
        json!({"branch": "feature-x"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        set_branch_in(&server, &dave, "dev", "app-b", json!({"branch": "main"})).await;
    assert_eq!(status, 200, "{body}");
    // Confirmed, it goes over the claim and the override is recorded.
    let confirmed = json!({"branch": "master", "override_claim": true});
    let (status, body) = set_branch_in(&server, &dave, "dev", "app-a", confirmed).await;
    assert_eq!(status, 200, "{body}");
    let actions = audit_actions(&server).await;
    assert!(
        actions
            .iter()
            .any(|(a, o, _)| a == "override-claim" && o == "committed"),
        "{actions:?}"
    );
    let rows = server
        .state
        .actions
        .store
        .audit(&Default::default())
        .await
        .unwrap();
    let row = rows.iter().find(|r| r.action == "override-claim").unwrap();
    assert_eq!(row.actor, "dave");
    assert!(row.detail.contains("claimed by kim"), "{}", row.detail);

    // Only the holder (or qa, admin) extends or ends it.
    let extend = format!("/api/v1/claims/{id}/extend");
    let (status, _) = server
        .send(Method::POST, &extend, Some(&dave), Some(json!({})))
        .await;
    assert_eq!(status, 403);
    let (status, body) = server
        .send(Method::POST, &extend, Some(&kim), Some(json!({"hours": 1})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["until"].as_i64().unwrap() - body["since"].as_i64().unwrap(),
        3 * 3600
    );
    let (status, _) = server
        .send(
            Method::DELETE,
            &format!("/api/v1/claims/{id}"),
            Some(&kim),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let holds = server.json("/api/v1/holds").await;
    let dev = holds["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["environment"] == "dev")
        .unwrap();
    assert!(dev["claims"].as_array().unwrap().is_empty(), "{dev}");
}

#[tokio::test]
async fn stg_is_booked_by_one_project_a_day_and_the_lane_offers_its_promotion() {
    let (_upstream, server) = setup().await;
    let quinn = server.token("quinn").await;
    let root = server.token("root").await;
    let dave = server.token("dave").await;
    let today = server.json("/api/v1/holds").await["today"]
        .as_str()
        .unwrap()
        .to_string();
    let day = |offset: i64| {
        let date: jiff::civil::Date = today.parse().unwrap();
        date.saturating_add(jiff::Span::new().days(offset))
            .to_string()
    };
    let booking = |project: &str, first: i64, last: i64| {
        json!({"environment": "stg-2", "project": project,
               "pairs": [["app-a", "feature-x"], ["app-c", "release/2.0"]],
               "first_day": day(first), "last_day": day(last)})
    };
    let (status, body) = server
        .send(
            Method::POST,
            "/api/v1/bookings",
            Some(&quinn),
            Some(booking("photo-books", 0, 2)),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    // A day shared with it is refused, naming who has it.
    let (status, body) = server
        .send(
            Method::POST,
            "/api/v1/bookings",
            Some(&root),
            Some(booking("albums", 2, 4)),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("booked by quinn for photo-books"), "{error}");
    // The day after is free.
    let (status, body) = server
        .send(
            Method::POST,
            "/api/v1/bookings",
            Some(&root),
            Some(booking("albums", 3, 4)),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // Dev is claimed, not booked; the past cannot be booked; developers do
    // not write Stg.
    let mut dev = booking("x", 5, 6);
    dev["environment"] = json!("dev");
    let (status, _) = server
        .send(Method::POST, "/api/v1/bookings", Some(&quinn), Some(dev))
        .await;
    assert_eq!(status, 400);
    let (status, _) = server
        .send(
            Method::POST,
            "/api/v1/bookings",
            Some(&quinn),
            Some(booking("x", -1, 0)),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = server
        .send(
            Method::POST,
            "/api/v1/bookings",
            Some(&dave),
            Some(booking("x", 10, 11)),
        )
        .await;
    assert_eq!(status, 403);

    // The lane: today's booking with the project's promotion and its reset.
    let holds = server.json("/api/v1/holds").await;
    let lane = holds["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["environment"] == "stg-2")
        .unwrap();
    assert_eq!(lane["booked"]["project"], "photo-books");
    assert_eq!(lane["next_booking"]["project"], "albums");
    assert_eq!(
        lane["booked"]["defaults"],
        json!([["app-a", "main"], ["app-c", "main"]])
    );
    let (_, page) = server.get("/").await;
    assert!(
        page.contains("Booked for photo-books by quinn"),
        "the lane shows it"
    );
    assert!(
        page.contains("/promote?env=stg-2&amp;svc.app-a=feature-x&amp;svc.app-c=release/2.0"),
        "the lane links the project's promotion"
    );

    // Only the booker (or qa, admin) cancels.
    let path = format!("/api/v1/bookings/{id}");
    let (status, _) = server.send(Method::DELETE, &path, Some(&dave), None).await;
    assert_eq!(status, 403);
    let (status, _) = server.send(Method::DELETE, &path, Some(&quinn), None).await;
    assert_eq!(status, 200);
    let holds = server.json("/api/v1/holds").await;
    assert_eq!(holds["bookings"].as_array().unwrap().len(), 1);
}
