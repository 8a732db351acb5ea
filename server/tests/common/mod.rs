//! Test fixtures: a real bare upstream repository with commits by several
//! authors, and a Berth server on a free loopback port pointed at it.

#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
};

use berth::{config::Config, readmodel::ReadModel, startup, state::AppState};
use tempfile::TempDir;

pub const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICHkiJMaAu2E4lSfp/fEW37t2quCNbFlSEpQg6Hq1D/7 kohbis@laptop";

pub struct Upstream {
    pub dir: TempDir,
    pub bare: PathBuf,
    pub work: PathBuf,
}

pub fn git(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A bare source repository at `repo` whose `main` is `commits` (subject,
/// unix time), oldest first, by Ann; their shas. Called again, it adds the
/// commits on top of `main`.
pub fn source_repository(repo: &Path, commits: &[(&str, i64)]) -> Vec<String> {
    if !repo.join("HEAD").exists() {
        std::fs::create_dir_all(repo).unwrap();
        git(
            repo,
            &["init", "--quiet", "--bare", "--initial-branch=main"],
            &[],
        );
    }
    let env = [
        ("GIT_AUTHOR_NAME", "Ann"),
        ("GIT_AUTHOR_EMAIL", "ann@example.com"),
        ("GIT_COMMITTER_NAME", "Ann"),
        ("GIT_COMMITTER_EMAIL", "ann@example.com"),
    ];
    let tree = git(repo, &["hash-object", "-t", "tree", "-w", "--stdin"], &env);
    let head = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--verify", "--quiet", "refs/heads/main"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let mut shas: Vec<String> = Vec::new();
    for (subject, at) in commits {
        let date = format!("@{at} +0000");
        let mut dated = env.to_vec();
        dated.extend([
            ("GIT_AUTHOR_DATE", date.as_str()),
            ("GIT_COMMITTER_DATE", date.as_str()),
        ]);
        let mut args = vec!["commit-tree", tree.as_str(), "-m", subject];
        let parent = shas.last().cloned().or_else(|| head.clone());
        if let Some(parent) = &parent {
            args.extend(["-p", parent.as_str()]);
        }
        shas.push(git(repo, &args, &dated));
    }
    if let Some(last) = shas.last() {
        git(repo, &["update-ref", "refs/heads/main", last], &[]);
    }
    shas
}

impl Upstream {
    /// An empty bare repository on `main` plus a clone to commit from.
    pub fn new() -> Upstream {
        let dir = tempfile::tempdir().unwrap();
        let bare = dir.path().join("gitops.git");
        let work = dir.path().join("work");
        git(
            dir.path(),
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                bare.to_str().unwrap(),
            ],
            &[],
        );
        git(
            dir.path(),
            &[
                "init",
                "--quiet",
                "--initial-branch=main",
                work.to_str().unwrap(),
            ],
            &[],
        );
        git(
            &work,
            &["remote", "add", "origin", bare.to_str().unwrap()],
            &[],
        );
        Upstream { dir, bare, work }
    }

    /// Writes (`Some`) or deletes (`None`) files, commits as `author` at
    /// `at` (unix seconds) and pushes. Returns the commit sha.
    pub fn commit(
        &self,
        author: &str,
        at: i64,
        message: &str,
        files: &[(&str, Option<&str>)],
    ) -> String {
        for (path, content) in files {
            let full = self.work.join(path);
            match content {
                Some(text) => {
                    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                    std::fs::write(&full, text).unwrap();
                }
                None => std::fs::remove_file(&full).unwrap(),
            }
        }
        git(&self.work, &["add", "-A"], &[]);
        let email = format!("{}@example.com", author.to_lowercase());
        let date = format!("@{at} +0000");
        let envs = [
            ("GIT_AUTHOR_NAME", author),
            ("GIT_AUTHOR_EMAIL", email.as_str()),
            ("GIT_AUTHOR_DATE", date.as_str()),
            ("GIT_COMMITTER_NAME", author),
            ("GIT_COMMITTER_EMAIL", email.as_str()),
            ("GIT_COMMITTER_DATE", date.as_str()),
        ];
        git(&self.work, &["commit", "--quiet", "-m", message], &envs);
        git(
            &self.work,
            &["push", "--quiet", "--force", "origin", "HEAD:main"],
            &[],
        );
        git(&self.work, &["rev-parse", "HEAD"], &[])
    }

    /// Rewrites history: the newest commit is dropped upstream.
    pub fn drop_last_commit(&self) {
        git(&self.work, &["reset", "--quiet", "--hard", "HEAD~1"], &[]);
        git(
            &self.work,
            &["push", "--quiet", "--force", "origin", "HEAD:main"],
            &[],
        );
    }

    pub fn head(&self) -> String {
        git(&self.bare, &["rev-parse", "main"], &[])
    }
}

pub fn config_for(upstream: &Upstream, data_dir: &Path) -> Config {
    config_with(upstream, data_dir, "")
}

/// The test config with more TOML appended (services, `[auth]`, ...).
pub fn config_with(upstream: &Upstream, data_dir: &Path, extra: &str) -> Config {
    let text = format!(
        r#"
data_dir = {data:?}
listen = "127.0.0.1:0"

[[repositories]]
name = "gitops"
url = {url:?}

[[services]]
name = "app-a"
repo_url = "https://git.example.com/acme/app-a"

[[services]]
name = "app-b"
default_branch = "master"

[[services]]
name = "app-c"

[sandboxes]
domain = "sb.example.com"
{extra}
"#,
        data = data_dir.display().to_string(),
        url = upstream.bare.display().to_string(),
    );
    Config::from_toml(&text).expect("test config is valid")
}

pub struct Server {
    pub base: String,
    pub state: AppState,
    pub data: TempDir,
    client: reqwest::Client,
}

impl Server {
    /// Starts Berth against `upstream`; with `load`, after a first refresh.
    pub async fn start(upstream: &Upstream, load: bool) -> Server {
        Server::start_with(upstream, load, "").await
    }

    /// Like `start`, with TOML appended to the test config.
    pub async fn start_with(upstream: &Upstream, load: bool, extra: &str) -> Server {
        Server::start_edited(upstream, load, extra, |_| {}).await
    }

    /// Like `start_with`, changing the parsed config before starting.
    pub async fn start_edited(
        upstream: &Upstream,
        load: bool,
        extra: &str,
        edit: impl FnOnce(&mut Config),
    ) -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut config = config_with(upstream, data.path(), extra);
        edit(&mut config);
        let state = startup::build_state(config).await.unwrap();
        if load {
            state.read_model.refresh().await;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = berth::http::router(state.clone());
        tokio::spawn(async move { berth::http::serve(listener, router).await });
        Server {
            base,
            state,
            data,
            client: reqwest::Client::new(),
        }
    }

    pub fn read_model(&self) -> &Arc<ReadModel> {
        &self.state.read_model
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    pub async fn json(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Signs `user` in the way the login form does (local mode) and
    /// returns the session cookie (`name=value`).
    pub async fn sign_in(&self, user: &str) -> String {
        // Not following the redirect, to see the cookie it sets.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = client
            .post(format!("{}/api/login", self.base))
            .header("origin", &self.base)
            .header("accept", "text/html")
            .form(&[("user", user), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 302, "signing in {user}");
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_string()
    }

    /// Presses Refresh as a signed-in person (anonymous presses are
    /// refused), the way a browser without JavaScript does.
    pub async fn press_refresh(&self) -> u16 {
        let cookie = self.sign_in("tester").await;
        self.press_refresh_as(Some(&cookie)).await
    }

    /// Presses Refresh with a session cookie, or none, the way a browser
    /// without JavaScript does (the answer redirects back to the page).
    pub async fn press_refresh_as(&self, cookie: Option<&str>) -> u16 {
        let mut request = self
            .client
            .post(format!("{}/api/refresh_now", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .header("referer", format!("{}/", self.base))
            .header("origin", &self.base)
            .body("");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap().status().as_u16()
    }
}

impl Server {
    /// An API token acting as `user`.
    pub async fn token(&self, user: &str) -> String {
        self.state
            .actions
            .issue_token(user, "test", &[], 30)
            .await
            .unwrap()
    }

    /// Sends a write request the way a script does; returns status and JSON.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

/// Dev, Stg-1 and Stg-2 files with comments and mixed quoting.
pub const ENV_FILES: &[(&str, Option<&str>)] = &[
    (
        "environments/dev.yaml",
        Some("# Dev\napp-a: \"main\"\napp-b: 'master'\n"),
    ),
    (
        "environments/stg-1.yaml",
        Some("# Stg-1: project photo-books\napp-a: \"main\"\n\napp-c: main  # pinned\n"),
    ),
    ("environments/stg-2.yaml", Some("app-a: main\n")),
];

pub const DAY: i64 = 86_400;
pub const T0: i64 = 1_790_000_000;
