//! Sandbox expiry: a sandbox file's `expires` is its last day. Its owner
//! extends it with one click; after that day Berth deletes it with a
//! commit naming the rule, exactly once even with two Berth processes.

mod common;

use common::{git, Server, Upstream, ENV_FILES, KEY, T0};
use reqwest::Method;
use serde_json::json;

fn sandbox(owner: &str, expires: &str) -> String {
    format!("owner: {owner}\nexpires: \"{expires}\"\nsshPublicKeys:\n  - {KEY}\n")
}

fn upstream_with(files: &[(&str, Option<&str>)]) -> Upstream {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    upstream.commit("Ann", T0 + 60, "sandboxes", files);
    upstream
}

/// The sandbox page's "Extend", as a script sends it.
async fn extend(server: &Server, token: &str) -> (u16, serde_json::Value) {
    let path = "/api/v1/sandboxes/kims-box/extend";
    server.send(Method::POST, path, Some(token), None).await
}

fn log(upstream: &Upstream) -> Vec<String> {
    git(&upstream.bare, &["log", "--format=%s", "main"], &[])
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn an_expired_sandbox_is_deleted_once_even_by_two_berth_processes() {
    let old = sandbox("kim", "2020-01-31");
    let fresh = sandbox("kim", "2999-01-01");
    let upstream = upstream_with(&[
        ("sandboxes/old-box.yaml", Some(old.as_str())),
        ("sandboxes/fresh-box.yaml", Some(fresh.as_str())),
    ]);
    let one = Server::start(&upstream, true).await;
    let two = Server::start(&upstream, true).await;
    let (a, b) = tokio::join!(
        one.state.actions.expire_sandboxes(),
        two.state.actions.expire_sandboxes()
    );
    assert_eq!(a + b, 1, "one process deleted it, the other found it gone");
    let subjects = log(&upstream);
    let deletions: Vec<_> = subjects.iter().filter(|s| s.contains("old-box")).collect();
    assert_eq!(
        deletions,
        ["Delete sandbox old-box: it expired on 2020-01-31 (sandbox lifetime rule)"]
    );
    let files = git(
        &upstream.bare,
        &["ls-tree", "--name-only", "main", "sandboxes/"],
        &[],
    );
    assert_eq!(files.trim(), "sandboxes/fresh-box.yaml");
    // The commit is Berth's, and says which rule.
    let body = git(
        &upstream.bare,
        &["log", "-1", "--format=%an%n%B", "main"],
        &[],
    );
    assert!(body.starts_with("berth\n"), "{body}");
    assert!(body.contains("Berth-Action: expire-sandbox"), "{body}");
    // Run again: nothing more to do.
    assert_eq!(one.state.actions.expire_sandboxes().await, 0);
    // Each process audited what it did: one deletion, and at most an
    // "already deleted" from the other.
    let mut outcomes = Vec::new();
    for server in [&one, &two] {
        let audit = server
            .state
            .actions
            .store
            .audit(&Default::default())
            .await
            .unwrap();
        outcomes.extend(
            audit
                .into_iter()
                .filter(|e| e.action == "expire-sandbox" && e.actor == "berth" && e.via == "rule")
                .map(|e| e.outcome),
        );
    }
    outcomes.sort();
    assert_eq!(outcomes[0], "committed", "{outcomes:?}");
    assert!(
        outcomes[1..].iter().all(|o| o == "unchanged"),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn the_owner_extends_a_sandbox_and_others_may_not() {
    let text = sandbox("kim", "2020-01-31");
    let upstream = upstream_with(&[("sandboxes/kims-box.yaml", Some(text.as_str()))]);
    let server = Server::start_with(&upstream, true, "lifetime_days = 14\n").await;
    let list = server.json("/api/v1/sandboxes").await;
    let listed = &list["sandboxes"][0];
    assert_eq!(listed["expires"], "2020-01-31");
    assert!(listed["days_left"].as_i64().unwrap() < 0);
    assert_eq!(listed["expiring"], true);

    let dave = server.token("dave").await;
    let (status, _) = extend(&server, &dave).await;
    assert_eq!(status, 403);
    let kim = server.token("kim").await;
    let (status, body) = extend(&server, &kim).await;
    assert_eq!(status, 200, "{body}");
    let file = git(
        &upstream.bare,
        &["show", "main:sandboxes/kims-box.yaml"],
        &[],
    );
    // Only the date line changed; fourteen days from today.
    assert!(file.starts_with("owner: kim\nexpires: \""), "{file}");
    assert!(
        file.ends_with(&format!("sshPublicKeys:\n  - {KEY}")),
        "{file}"
    );
    let list = server.json("/api/v1/sandboxes").await;
    assert_eq!(list["sandboxes"][0]["days_left"], 14);
    // A second click changes nothing: never more than one lifetime ahead.
    let (status, body) = extend(&server, &kim).await;
    assert_eq!(
        (status, &body["commit"]),
        (200, &serde_json::Value::Null),
        "{body}"
    );
    // Extended, it is not expired any more.
    assert_eq!(server.state.actions.expire_sandboxes().await, 0);
    // Any YAML parser reads the date as text.
    let yaml: serde_yaml::Value = serde_yaml::from_str(&file).unwrap();
    assert!(yaml["expires"].is_string(), "{yaml:?}");
}

#[tokio::test]
async fn a_sandbox_without_a_last_day_is_not_given_one() {
    let text = format!("owner: kim\nsshPublicKeys:\n  - {KEY}\n");
    let upstream = upstream_with(&[("sandboxes/kims-box.yaml", Some(text.as_str()))]);
    let server = Server::start(&upstream, true).await;
    let kim = server.token("kim").await;
    let before = upstream.head();
    let (status, body) = extend(&server, &kim).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("does not expire"),
        "{body}"
    );
    assert_eq!(upstream.head(), before);
}

#[tokio::test]
async fn a_new_sandbox_gets_the_configured_lifetime() {
    let upstream = upstream_with(&[("sandboxes/.keep", Some(""))]);
    let server = Server::start_with(&upstream, true, "lifetime_days = 7\n").await;
    let kim = server.token("kim").await;
    let body = json!({ "name": "kims-new", "ssh_public_keys": [KEY] });
    let (status, answer) = server
        .send(Method::POST, "/api/v1/sandboxes", Some(&kim), Some(body))
        .await;
    assert_eq!(status, 201, "{answer}");
    let list = server.json("/api/v1/sandboxes").await;
    let new = list["sandboxes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "kims-new")
        .unwrap();
    assert_eq!(new["days_left"], 7, "{new}");
}
