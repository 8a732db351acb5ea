//! Remotes that misbehave: one that never answers is given up on after the
//! configured time, helpers included, so a writer's queue moves on; and a
//! push a server-side hook declines is answered at once, not retried as if
//! another writer had won a race.

mod common;

use std::time::{Duration, Instant};

use berth::{config::Credentials, gitops::git::Git};
use common::*;
use reqwest::Method;
use serde_json::json;
use tokio::io::AsyncReadExt;

#[tokio::test]
async fn a_remote_that_never_answers_times_out_and_leaves_nothing_running() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/gitops.git", listener.local_addr().unwrap());
    // Accepts and reads the request, never answers; tells when the client
    // (git's HTTP helper, a child of git) hangs up.
    let (hung_up, hang_up) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = [0; 4096];
        while let Ok(1..) = socket.read(&mut buffer).await {}
        let _ = hung_up.send(());
    });
    let dir = tempfile::tempdir().unwrap();
    let git = Git::new(dir.path().join("mirror"), Credentials::default())
        .with_timeout(Duration::from_secs(1));

    let started = Instant::now();
    let err = git.sync_mirror(&url, "main").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        err.to_string(),
        "git fetch failed: timed out after 1s and was stopped"
    );
    tokio::time::timeout(Duration::from_secs(5), hang_up)
        .await
        .expect("the helper holding the connection was stopped too")
        .unwrap();
}

#[tokio::test]
async fn a_push_a_hook_declines_is_answered_after_one_attempt() {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let server = Server::start(&upstream, true).await;
    let ann = server.token("ann").await;
    // A policy hook whose message happens to name what git calls a race.
    let attempts = upstream.dir.path().join("attempts");
    let hook = upstream.bare.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\necho push >> '{}'\necho 'non-fast-forward pushes and direct commits to main are not allowed; open a merge request' >&2\nexit 1\n",
            attempts.display()
        ),
    )
    .unwrap();
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&hook, executable).unwrap();
    let before = upstream.head();

    let (status, answer) = server
        .send(
            Method::POST,
            "/api/v1/environments/dev/services/app-a",
            Some(&ann),
            Some(json!({"branch": "feature-x"})),
        )
        .await;
    let error = answer["error"].as_str().unwrap_or_default();
    assert_eq!(status, 503, "{answer}");
    assert!(error.contains("pre-receive hook declined"), "{error}");
    assert!(error.contains("open a merge request"), "{error}");
    let pushes = std::fs::read_to_string(&attempts).unwrap();
    assert_eq!(pushes.lines().count(), 1, "pushed once, not retried");
    assert_eq!(upstream.head(), before, "nothing landed");
}
