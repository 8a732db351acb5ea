//! Writing to the GitOps repository through the API: roles, validation,
//! conflicts, the audit log, and that nothing is written on any refusal.

mod common;

use common::{git, Server, Upstream, ENV_FILES, KEY, T0};
use reqwest::Method;
use serde_json::json;

/// A source repository for app-a with a few branches, so branch names are
/// checked against what exists.
fn source_repo(upstream: &Upstream) -> String {
    let bare = upstream.dir.path().join("app-a.git");
    let work = upstream.dir.path().join("app-a-work");
    std::fs::create_dir_all(&work).unwrap();
    git(
        upstream.dir.path(),
        &[
            "init",
            "--quiet",
            "--bare",
            "--initial-branch=main",
            bare.to_str().unwrap(),
        ],
        &[],
    );
    git(&work, &["init", "--quiet", "--initial-branch=main"], &[]);
    std::fs::write(work.join("README"), "app-a\n").unwrap();
    git(&work, &["add", "."], &[]);
    let who = [
        ("GIT_AUTHOR_NAME", "a"),
        ("GIT_AUTHOR_EMAIL", "a@x"),
        ("GIT_COMMITTER_NAME", "a"),
        ("GIT_COMMITTER_EMAIL", "a@x"),
    ];
    git(&work, &["commit", "--quiet", "-m", "init"], &who);
    for branch in ["main", "feature-x", "release/2.0"] {
        git(
            &work,
            &[
                "push",
                "--quiet",
                bare.to_str().unwrap(),
                &format!("HEAD:refs/heads/{branch}"),
            ],
            &[],
        );
    }
    bare.display().to_string()
}

const ROLES: &str = r#"
[auth]
admins = ["root"]
qa = ["quinn", "group:qa"]
"#;

async fn setup() -> (Upstream, Server) {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let source = source_repo(&upstream);
    let server = Server::start_edited(&upstream, true, ROLES, |config| {
        config.services[0].git_url = Some(source);
    })
    .await;
    (upstream, server)
}

async fn promote(
    server: &Server,
    token: Option<&str>,
    environment: &str,
    service: &str,
    branch: &str,
) -> (u16, serde_json::Value) {
    let path = format!("/api/v1/environments/{environment}/services/{service}");
    let body = json!({ "branch": branch });
    server.send(Method::POST, &path, token, Some(body)).await
}

fn file_at_head(upstream: &Upstream, path: &str) -> String {
    git(&upstream.bare, &["show", &format!("main:{path}")], &[])
}

#[tokio::test]
async fn roles_decide_who_may_write_each_environment() {
    let (upstream, server) = setup().await;
    let dave = server.token("dave").await;
    let quinn = server.token("quinn").await;
    let before = upstream.head();

    let (status, body) = promote(&server, Some(&dave), "stg-1", "app-a", "feature-x").await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("may not change Stg-1"),
        "{body}"
    );
    assert_eq!(upstream.head(), before, "nothing is written on a refusal");

    let (status, body) = promote(&server, Some(&quinn), "stg-1", "app-a", "feature-x").await;
    assert_eq!(status, 200, "{body}");
    let sha = body["commit"].as_str().unwrap().to_string();
    assert_eq!(upstream.head(), sha);
    assert_eq!(
        file_at_head(&upstream, "environments/stg-1.yaml"),
        "# Stg-1: project photo-books\napp-a: \"feature-x\"\n\napp-c: main  # pinned"
    );
    let message = git(
        &upstream.bare,
        &["log", "-1", "--format=%an <%ae>|%cn|%B", "main"],
        &[],
    );
    assert_eq!(
        message,
        "quinn <quinn@users.berth.local>|Berth|Point stg-1 app-a at feature-x\n\nBerth-Actor: quinn\nBerth-Action: promote"
    );

    // A developer may write Dev.
    let (status, body) = promote(&server, Some(&dave), "dev", "app-b", "feature/y").await;
    assert_eq!(status, 200, "{body}");
    assert!(file_at_head(&upstream, "environments/dev.yaml").ends_with("app-b: 'feature/y'"));

    // The grid shows the change at once: the read model was refreshed.
    let envs = server.json("/api/v1/environments").await;
    let stg1 = envs["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "stg-1")
        .unwrap();
    assert_eq!(stg1["services"]["app-a"], "feature-x");
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_reason_and_write_nothing() {
    let (upstream, server) = setup().await;
    let root = server.token("root").await;
    let before = upstream.head();
    let cases = [
        (
            "/api/v1/environments/stg-1/services/app-a",
            json!({"branch": "bad..name"}),
            400,
            "..",
        ),
        (
            "/api/v1/environments/stg-1/services/app-a",
            json!({"branch": "feature-nope"}),
            400,
            "no branch `feature-nope`",
        ),
        (
            "/api/v1/environments/stg-1/services/nope",
            json!({"branch": "main"}),
            400,
            "no service `nope`",
        ),
        (
            "/api/v1/environments/qa/services/app-a",
            json!({"branch": "main"}),
            404,
            "no environment `qa`",
        ),
        (
            "/api/v1/environments/prod/services/app-a",
            json!({"branch": "x"}),
            400,
            "merge to release",
        ),
        (
            "/api/v1/environments/stg-1/services/app-a",
            json!({"branch": 7}),
            400,
            "bad JSON",
        ),
        (
            "/api/v1/sandboxes",
            json!({"name": "Bad.Name", "ssh_public_keys": [KEY]}),
            400,
            "not a valid sandbox name",
        ),
        (
            "/api/v1/sandboxes",
            json!({"name": "ok", "ssh_public_keys": [format!("command=\"sh\" {KEY}")]}),
            400,
            "not allowed",
        ),
        (
            "/api/v1/sandboxes",
            json!({"name": "ok", "ssh_public_keys": [KEY, KEY]}),
            400,
            "pasted twice",
        ),
    ];
    for (path, body, expected, fragment) in cases {
        let (status, answer) = server
            .send(Method::POST, path, Some(&root), Some(body.clone()))
            .await;
        assert_eq!(status, expected, "{path} {body}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(fragment), "{path} {body}: {error}");
    }
    // Setting what is already set commits nothing and says so.
    let (status, answer) = promote(&server, Some(&root), "stg-1", "app-c", "main").await;
    assert_eq!(status, 200);
    assert_eq!(answer["commit"], serde_json::Value::Null);
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("already runs app-c from main"));
    // No identity, or a wrong one.
    let (status, _) = promote(&server, None, "dev", "app-a", "x").await;
    assert_eq!(status, 401);
    let (status, _) = promote(&server, Some("berth_wrong"), "dev", "app-a", "x").await;
    assert_eq!(status, 401);
    assert_eq!(upstream.head(), before, "nothing was written");

    let audit = server
        .send(
            Method::GET,
            "/api/v1/audit?actor=root&outcome=refused",
            Some(&root),
            None,
        )
        .await
        .1;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 8, "{audit}");
    let unchanged = server
        .send(
            Method::GET,
            "/api/v1/audit?outcome=unchanged",
            Some(&root),
            None,
        )
        .await
        .1;
    assert_eq!(unchanged["entries"][0]["target"], "stg-1");
}

#[tokio::test]
async fn sandboxes_are_created_and_deleted_only_by_their_owner_or_an_admin() {
    let (upstream, server) = setup().await;
    let dave = server.token("dave").await;
    let erin = server.token("erin").await;
    let root = server.token("root").await;

    let (status, body) = server
        .send(
            Method::POST,
            "/api/v1/sandboxes",
            Some(&dave),
            Some(json!({"name": "dave-box", "ssh_public_keys": format!("{KEY}\n")})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let text = file_at_head(&upstream, "sandboxes/dave-box.yaml");
    assert_eq!(
        text,
        format!("# Sandbox of dave, created with Berth.\nowner: dave\nsshPublicKeys:\n  - {KEY}")
    );
    let listed = server.json("/api/v1/sandboxes?q=dave-box").await;
    assert_eq!(listed["sandboxes"][0]["owner"], "dave");

    let (status, body) = server
        .send(
            Method::POST,
            "/api/v1/sandboxes",
            Some(&erin),
            Some(json!({"name": "dave-box", "ssh_public_keys": [KEY]})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("already taken"));

    let before = upstream.head();
    let (status, body) = server
        .send(
            Method::DELETE,
            "/api/v1/sandboxes/dave-box",
            Some(&erin),
            None,
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("only dave or an admin"));
    assert_eq!(upstream.head(), before);

    let (status, body) = server
        .send(
            Method::DELETE,
            "/api/v1/sandboxes/dave-box",
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let tree = git(
        &upstream.bare,
        &["ls-tree", "-r", "--name-only", "main"],
        &[],
    );
    assert!(!tree.contains("dave-box"), "{tree}");
    let (status, _) = server
        .send(
            Method::DELETE,
            "/api/v1/sandboxes/dave-box",
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_sandbox_deleted_meanwhile_is_a_plain_conflict() {
    let (upstream, server) = setup().await;
    let dave = server.token("dave").await;
    let (status, _) = server
        .send(
            Method::POST,
            "/api/v1/sandboxes",
            Some(&dave),
            Some(json!({"name": "gone", "ssh_public_keys": [KEY]})),
        )
        .await;
    assert_eq!(status, 201);
    // Someone removes it by hand; Berth has not refreshed since.
    git(
        &upstream.work,
        &["pull", "--quiet", "--rebase", "origin", "main"],
        &[],
    );
    upstream.commit(
        "Hand",
        T0 + 10,
        "remove gone by hand",
        &[("sandboxes/gone.yaml", None)],
    );
    let before = upstream.head();
    let (status, body) = server
        .send(Method::DELETE, "/api/v1/sandboxes/gone", Some(&dave), None)
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "the sandbox `gone` has already been deleted");
    assert_eq!(upstream.head(), before);
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused_before_anything_runs() {
    let (upstream, server) = setup().await;
    let before = upstream.head();
    let response = server
        .client()
        .post(format!(
            "{}/api/v1/environments/dev/services/app-a",
            server.base
        ))
        .header("origin", "https://evil.example")
        .header("cookie", "berth_session=x")
        .json(&json!({"branch": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let response = server
        .client()
        .post(format!("{}/api/refresh_now", server.base))
        .header("sec-fetch-site", "cross-site")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(upstream.head(), before);
}

#[tokio::test]
async fn a_project_promotion_moves_several_services_in_one_commit() {
    let (upstream, server) = setup().await;
    let quinn = berth::auth::Identity {
        user: "quinn".into(),
        email: "quinn@x".into(),
        groups: vec![],
        role: app::model::Role::Qa,
        via: berth::auth::Via::Session,
        remote: None,
    };
    let before = upstream.head();
    let changes = [
        ("app-a".to_string(), "release/2.0".to_string()),
        ("app-c".to_string(), "feature-x".to_string()),
    ];
    let result = server
        .state
        .actions
        .promote(&quinn, "stg-1", &changes, &Default::default())
        .await
        .unwrap();
    let sha = result.commit.unwrap();
    let parents = git(&upstream.bare, &["rev-list", "--parents", "-n1", &sha], &[]);
    assert_eq!(parents, format!("{sha} {before}"), "one commit on top");
    assert_eq!(
        file_at_head(&upstream, "environments/stg-1.yaml"),
        "# Stg-1: project photo-books\napp-a: \"release/2.0\"\n\napp-c: feature-x  # pinned"
    );
    let message = git(&upstream.bare, &["log", "-1", "--format=%B", "main"], &[]);
    assert!(message.starts_with("Point stg-1 at app-a=release/2.0, app-c=feature-x"));
    assert!(message.contains("Berth-Action: promote-project"));
}

#[tokio::test]
async fn a_hand_edit_after_berths_push_is_never_mistaken_for_no_change() {
    let (upstream, server) = setup().await;
    let quinn = server.token("quinn").await;
    let (status, _) = promote(&server, Some(&quinn), "stg-1", "app-a", "feature-x").await;
    assert_eq!(status, 200);
    // Someone puts it back by hand, behind Berth's back.
    git(
        &upstream.work,
        &["pull", "--quiet", "--rebase", "origin", "main"],
        &[],
    );
    let text = file_at_head(&upstream, "environments/stg-1.yaml").replace("feature-x", "main");
    upstream.commit(
        "Hand",
        T0 + 5,
        "back to main",
        &[("environments/stg-1.yaml", Some(&text))],
    );
    let (status, body) = promote(&server, Some(&quinn), "stg-1", "app-a", "feature-x").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["commit"].is_string(),
        "the change is committed again: {body}"
    );
    assert!(file_at_head(&upstream, "environments/stg-1.yaml").contains("app-a: \"feature-x\""));
}
