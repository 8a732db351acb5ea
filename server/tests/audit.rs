//! The audit log: every accepted write is recorded with its outcome even
//! when the client hangs up, refusals before sign-in are recorded but
//! rate-limited, nothing huge is stored, and the log is read a page at a time.

mod common;

use std::time::{Duration, Instant};

use app::model::AuditQuery;
use common::{git, Server, Upstream, ENV_FILES, T0};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

const ROLES: &str = r#"
[auth]
admins = ["root"]
"#;

async fn setup() -> (Upstream, Server) {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let server = Server::start_with(&upstream, true, ROLES).await;
    (upstream, server)
}

/// Every row, newest first, straight from the store.
async fn rows(server: &Server, query: AuditQuery) -> Vec<app::model::AuditEntry> {
    server.state.actions.store.audit(&query).await.unwrap()
}

fn refused() -> AuditQuery {
    AuditQuery {
        outcome: Some("refused".into()),
        ..Default::default()
    }
}

/// Sends a whole HTTP/1.1 request and returns the open connection, so the
/// caller decides when to hang up.
async fn send_raw(server: &Server, path: &str, token: &str, body: &Value) -> tokio::net::TcpStream {
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

async fn eventually<F: std::future::Future<Output = bool>>(
    within: Duration,
    mut check: impl FnMut() -> F,
) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_runs_to_its_end_and_is_audited_when_the_client_hangs_up() {
    let (upstream, server) = setup().await;
    let token = server.token("root").await;
    // Every push now takes a second, so the clients hang up mid-write.
    let hook = upstream.bare.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\ncat >/dev/null\nsleep 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let start = upstream.head();

    // Three writes at once to one repository: one pushes, two queue.
    let mut connections = Vec::new();
    for env in ["dev", "stg-1", "stg-2"] {
        let path = format!("/api/v1/environments/{env}/services/app-a");
        connections.push(send_raw(&server, &path, &token, &json!({"branch": "hangup"})).await);
    }
    // Hang up once all three are accepted (each has its row), and well
    // before the second push can finish.
    let by_root = AuditQuery {
        actor: Some("root".into()),
        ..Default::default()
    };
    eventually(Duration::from_secs(1), || async {
        rows(&server, by_root.clone()).await.len() >= 3
    })
    .await;
    drop(connections);

    let landed = || {
        git(
            &upstream.bare,
            &["rev-list", &format!("{start}..main")],
            &[],
        )
        .lines()
        .map(str::to_string)
        .collect::<Vec<_>>()
    };
    let all_landed = eventually(Duration::from_secs(30), || {
        let n = landed().len();
        async move { n == 3 }
    })
    .await;
    assert!(
        all_landed,
        "every accepted write runs to its end; landed: {:?}",
        landed()
    );
    let committed = AuditQuery {
        outcome: Some("committed".into()),
        ..Default::default()
    };
    eventually(Duration::from_secs(10), || async {
        rows(&server, committed.clone()).await.len() >= 3
    })
    .await;
    let entries = rows(&server, AuditQuery::default()).await;
    for sha in landed() {
        let matching: Vec<_> = entries
            .iter()
            .filter(|e| e.commit.as_deref() == Some(sha.as_str()))
            .collect();
        assert_eq!(matching.len(), 1, "one row for {sha}: {entries:#?}");
        assert_eq!(matching[0].outcome, "committed");
        assert_eq!(matching[0].actor, "root");
    }
    assert!(
        entries.iter().all(|e| e.outcome != "accepted"),
        "no write is left unfinished: {entries:#?}"
    );
}

/// The size of a stored row as the API shows it.
fn row_bytes(entry: &Value) -> usize {
    entry.to_string().len()
}

#[tokio::test]
async fn huge_input_is_refused_without_being_stored() {
    let (upstream, server) = setup().await;
    let root = server.token("root").await;
    let before = upstream.head();
    // About 1 MB, just under the body limit.
    let huge = "x".repeat(1_000_000);

    let form = format!("environment={huge}&changes=app-a%3Dmain");
    let huge_key = format!("ssh-ed25519 {huge}");
    let cases = [
        // The environment as a server function (the form) sends it.
        ("environment", "/api/promote", None),
        (
            "sandbox name",
            "/api/v1/sandboxes",
            Some(json!({"name": huge, "ssh_public_keys": [common::KEY]})),
        ),
        (
            "keys",
            "/api/v1/sandboxes",
            Some(json!({"name": "keys-box", "ssh_public_keys": [huge_key]})),
        ),
        (
            "branch",
            "/api/v1/environments/dev/services/app-a",
            Some(json!({"branch": huge})),
        ),
    ];
    for (what, path, json_body) in cases {
        let request = server
            .client()
            .post(format!("{}{path}", server.base))
            .bearer_auth(&root);
        let request = match json_body {
            Some(body) => request.json(&body),
            None => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.clone()),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, 400, "{what}: {}", &text[..text.len().min(300)]);
        assert!(text.len() < 2048, "{what}: the answer does not echo it");
        let (_, audit) = server
            .send(Method::GET, "/api/v1/audit?limit=1", Some(&root), None)
            .await;
        let row = &audit["entries"][0];
        assert_eq!(row["outcome"], "refused", "{what}");
        assert!(
            row_bytes(row) < 4096,
            "{what}: a {} byte audit row",
            row_bytes(row)
        );
    }
    // Far more changes in one promotion than there are services.
    let root_identity = berth::auth::Identity {
        user: "root".into(),
        email: "root@x".into(),
        groups: vec![],
        role: app::model::Role::Admin,
        via: berth::auth::Via::Session,
        remote: None,
    };
    let many: Vec<(String, String)> = (0..10_000)
        .map(|i| (format!("svc-{i}"), "main".to_string()))
        .collect();
    let err = server
        .state
        .actions
        .promote(&root_identity, "dev", &many, &Default::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at most the 3 services"), "{err}");
    let newest = &rows(&server, AuditQuery::default()).await[0];
    assert!(newest.detail.chars().count() <= 500, "the detail is cut");
    assert!(newest.detail.ends_with('…'));
    assert_eq!(upstream.head(), before, "nothing was written");

    let page = server
        .client()
        .get(format!("{}/audit", server.base))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-outcome=\"refused\""),
        "the rows are shown"
    );
    assert!(page.len() < 64 * 1024, "a {} byte audit page", page.len());
}

#[tokio::test]
async fn cross_site_refusals_are_audited_and_rate_limited() {
    let (upstream, server) = setup().await;
    let before = upstream.head();
    let forge = || {
        server
            .client()
            .post(format!(
                "{}/api/v1/environments/dev/services/app-a",
                server.base
            ))
            .header("origin", "https://evil.example")
            .header("cookie", "berth_session=x")
            .json(&json!({"branch": "x"}))
            .send()
    };
    assert_eq!(forge().await.unwrap().status().as_u16(), 403);
    let entries = rows(&server, refused()).await;
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let row = &entries[0];
    assert_eq!(row.actor, "-");
    assert_eq!(row.via, "session");
    assert_eq!(row.remote.as_deref(), Some("127.0.0.1"));
    assert_eq!(row.action, "request");
    assert_eq!(row.target, "POST /api/v1/environments/dev/services/app-a");
    assert!(row.message.contains("another site"), "{}", row.message);

    // A flood: some are recorded, the rest only counted.
    for _ in 0..60 {
        assert_eq!(forge().await.unwrap().status().as_u16(), 403);
    }
    let recorded = rows(&server, refused()).await.len();
    assert!(
        (2..=20).contains(&recorded),
        "{recorded} rows for 61 refusals"
    );
    assert_eq!(
        server.state.actions.refusals_not_audited(),
        61 - recorded as u64
    );
    assert_eq!(upstream.head(), before);
}

#[tokio::test]
async fn writes_without_a_valid_identity_are_audited() {
    let (upstream, server) = setup().await;
    let before = upstream.head();
    let path = "/api/v1/environments/dev/services/app-a";
    let body = json!({"branch": "x"});
    let (status, _) = server
        .send(Method::POST, path, Some("berth_wrong"), Some(body.clone()))
        .await;
    assert_eq!(status, 401);
    let (status, _) = server.send(Method::POST, path, None, Some(body)).await;
    assert_eq!(status, 401);
    let entries = rows(&server, refused()).await;
    assert_eq!(
        entries.len(),
        2,
        "the write paths in actions/operations.rs identify with Actions::require_writer: {entries:#?}"
    );
    assert_eq!(entries[0].via, "-");
    assert_eq!(entries[1].via, "token");
    assert!(
        entries[1].message.contains("unknown"),
        "{}",
        entries[1].message
    );
    for row in &entries {
        assert_eq!(row.actor, "-");
        assert_eq!(row.action, "request");
        assert_eq!(row.target, format!("POST {path}"));
        assert_eq!(row.remote.as_deref(), Some("127.0.0.1"));
    }
    assert_eq!(upstream.head(), before);
}

#[tokio::test]
async fn require_writer_audits_a_request_nobody_could_be_identified_from() {
    let (_upstream, server) = setup().await;
    let request = axum::http::Request::post("/api/delete_sandbox")
        .header("authorization", "Bearer berth_revoked")
        .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [192, 0, 2, 7],
            4711,
        ))))
        .body(())
        .unwrap();
    let (parts, ()) = request.into_parts();
    let err = server
        .state
        .actions
        .require_writer(&parts)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 401);
    let entries = rows(&server, refused()).await;
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let row = &entries[0];
    assert_eq!(
        (row.actor.as_str(), row.via.as_str(), row.action.as_str()),
        ("-", "token", "request")
    );
    assert_eq!(row.target, "POST /api/delete_sandbox");
    assert_eq!(row.remote.as_deref(), Some("192.0.2.7"));
    assert_eq!(row.message, err.to_string());
}

#[tokio::test]
async fn the_log_is_read_a_page_at_a_time_newest_first() {
    let (_upstream, server) = setup().await;
    let root = server.token("root").await;
    for i in 0..25 {
        let path = format!("/api/v1/environments/nope-{i}/services/app-a");
        let (status, _) = server
            .send(
                Method::POST,
                &path,
                Some(&root),
                Some(json!({"branch": "x"})),
            )
            .await;
        assert_eq!(status, 404);
    }
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut next = "/api/v1/audit?actor=root&limit=10".to_string();
    loop {
        let (status, page) = server.send(Method::GET, &next, Some(&root), None).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        let entries = page["entries"].as_array().unwrap();
        assert!(entries.len() <= 10);
        ids.extend(entries.iter().map(|e| e["id"].as_i64().unwrap()));
        match page["next_before"].as_i64() {
            Some(before) => {
                assert_eq!(entries.len(), 10, "only a full page has a next one");
                next = format!("/api/v1/audit?actor=root&limit=10&before={before}");
            }
            None => break,
        }
        assert!(pages < 10, "paging ends");
    }
    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 25, "{ids:?}");
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "newest first, disjoint"
    );
    let (_, first) = server
        .send(Method::GET, "/api/v1/audit?limit=10", Some(&root), None)
        .await;
    assert_eq!(first["entries"][0]["target"], "nope-24");

    // The page links to the older entries, keeping the filters.
    let html = server
        .client()
        .get(format!("{}/audit?actor=root&limit=10", server.base))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("class=\"audit-row").count(), 10);
    let older = format!("/audit?actor=root&amp;limit=10&amp;before={}", ids[9]);
    assert!(html.contains(&older), "{older} in the page");
    assert!(html.contains("Older entries →"));
}
