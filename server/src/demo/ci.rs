//! The demo's CI: it watches the demo's source repositories and turns
//! every branch that moved into a build, reported to Berth through the
//! signed GitHub webhook a real CI setup sends (`push` for a default
//! branch, then `workflow_run` requested and completed). A build whose
//! commit subject says "flaky" fails. `developers` keeps the repositories
//! moving, so `make run` shows a living pipeline.

mod deliver;
mod developers;

use std::{collections::HashMap, net::SocketAddr, sync::Arc, time::Duration};

use serde_json::{json, Value};

use crate::{
    clock::unix_now,
    config::{Config, Credentials, ServiceConfig},
    demo::cluster::rfc3339,
    gitops::git::Git,
};
use deliver::Deliverer;
pub use developers::spawn as spawn_developers;

/// How often the source repositories are looked at.
const POLL: Duration = Duration::from_secs(2);

/// A demo source repository: the service and its bare repository.
#[derive(Clone)]
pub(super) struct Source {
    pub service: ServiceConfig,
    pub git: Git,
    /// `owner/name`, as the webhooks name it.
    pub repository: String,
}

pub(super) fn sources(config: &Config) -> Vec<Source> {
    config
        .services
        .iter()
        .filter_map(|service| {
            let dir = service.git_url.as_deref()?;
            Some(Source {
                git: Git::new(dir, Credentials::default()),
                repository: service.github_repository()?,
                service: service.clone(),
            })
        })
        .collect()
}

/// Starts the CI against Berth at `berth`, if the config has a webhook
/// secret; says why not otherwise.
pub fn spawn(config: &Config, berth: SocketAddr) {
    let secret = match config.releases.webhook_secret() {
        Ok(Some(secret)) => secret,
        _ => {
            tracing::warn!("the demo CI needs [releases] github_webhook_secret_file; recreate the demo with `berth demo init --force` to see builds and releases");
            return;
        }
    };
    let deliverer = Arc::new(Deliverer::new(berth, secret));
    let sources = sources(config);
    tokio::spawn(async move {
        let mut heads: Vec<HashMap<String, String>> = Vec::new();
        for source in &sources {
            // What is there at start was built long ago.
            heads.push(branch_heads(&source.git).await);
            report_past_failures(source, &deliverer).await;
        }
        loop {
            tokio::time::sleep(POLL).await;
            for (source, known) in sources.iter().zip(heads.iter_mut()) {
                let now = branch_heads(&source.git).await;
                for (branch, head) in &now {
                    if known.get(branch) != Some(head) {
                        let before = known.get(branch).cloned();
                        build(source, branch, before, head, &deliverer).await;
                    }
                }
                *known = now;
            }
        }
    });
}

async fn branch_heads(git: &Git) -> HashMap<String, String> {
    git.branch_heads().await.unwrap_or_default()
}

/// One commit as a push lists it.
struct Pushed {
    sha: String,
    author: String,
    at: i64,
    subject: String,
}

async fn pushed(git: &Git, before: Option<&str>, head: &str) -> Vec<Pushed> {
    let range = match before {
        Some(before) => format!("{before}..{head}"),
        None => head.to_string(),
    };
    let mut args = vec![
        "log",
        "--reverse",
        "--first-parent",
        "--format=%H%x1f%an%x1f%at%x1f%s",
    ];
    if before.is_none() {
        args.push("-1");
    }
    args.push(&range);
    let out = git.run(&args).await.unwrap_or_default();
    out.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(4, '\u{1f}');
            Some(Pushed {
                sha: fields.next()?.to_string(),
                author: fields.next()?.to_string(),
                at: fields.next()?.parse().ok()?,
                subject: fields.next()?.to_string(),
            })
        })
        .collect()
}

/// Whether the demo's build of a commit with this subject fails.
pub(crate) fn failed_build(subject: &str) -> bool {
    subject.to_ascii_lowercase().contains("flaky")
}

/// The failed builds of the default branches' past, reported once as CI
/// would have (a green build long ago changes nothing now; a red one is
/// what the pipeline shows as failed). Delivery ids name the commit, so a
/// restart sends nothing new.
async fn report_past_failures(source: &Source, deliverer: &Deliverer) {
    let branch = &source.service.default_branch;
    let log = source
        .git
        .run(&[
            "log",
            "--first-parent",
            "--max-count=2000",
            "--format=%H%x1f%ct%x1f%s",
            &format!("refs/heads/{branch}"),
        ])
        .await
        .unwrap_or_default();
    for line in log.lines() {
        let mut fields = line.splitn(3, '\u{1f}');
        let (Some(sha), Some(at), Some(subject)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Ok(at) = at.parse::<i64>() else {
            continue;
        };
        if !failed_build(subject) {
            continue;
        }
        let finished = at + build_time(sha).as_secs() as i64;
        let body = workflow_run(source, branch, sha, Some("failure"), finished);
        deliverer
            .send_as(&format!("demo-past-{sha}"), "workflow_run", body)
            .await;
    }
}

/// A build takes a few seconds, the same for the same commit.
fn build_time(sha: &str) -> Duration {
    let spread = sha.bytes().take(8).map(u64::from).sum::<u64>() % 8;
    Duration::from_secs(4 + spread)
}

/// GitHub's `workflow_run` event for the build of `sha`: requested while
/// `conclusion` is `None`, else completed.
fn workflow_run(
    source: &Source,
    branch: &str,
    sha: &str,
    conclusion: Option<&str>,
    updated_at: i64,
) -> Value {
    json!({
        "action": if conclusion.is_some() { "completed" } else { "requested" },
        "repository": { "full_name": source.repository },
        "workflow_run": {
            "name": "build", "path": ".github/workflows/build.yml", "event": "push",
            "head_repository": { "full_name": source.repository },
            "head_branch": branch, "head_sha": sha,
            "status": if conclusion.is_some() { "completed" } else { "in_progress" },
            "conclusion": conclusion, "updated_at": rfc3339(updated_at),
        },
    })
}

/// Reports a moved branch: the push (default branches only, as Berth
/// ignores others), then a build that runs for a while in its own task.
async fn build(
    source: &Source,
    branch: &str,
    before: Option<String>,
    head: &str,
    deliverer: &Arc<Deliverer>,
) {
    let commits = pushed(&source.git, before.as_deref(), head).await;
    let subject = commits
        .last()
        .map(|c| c.subject.clone())
        .unwrap_or_default();
    if branch == source.service.default_branch {
        let body = json!({
            "ref": format!("refs/heads/{branch}"),
            "before": before.unwrap_or_else(|| "0".repeat(40)),
            "after": head,
            "repository": { "full_name": source.repository },
            "commits": commits.iter().map(|c| json!({
                "id": c.sha, "message": c.subject, "timestamp": rfc3339(c.at),
                "author": { "name": c.author }, "distinct": true,
            })).collect::<Vec<Value>>(),
        });
        deliverer.send("push", body).await;
    }
    let started = unix_now();
    let run = |conclusion: Option<&str>| {
        let mut run = workflow_run(source, branch, head, conclusion, unix_now());
        run["workflow_run"]["run_started_at"] = json!(rfc3339(started));
        run
    };
    deliverer.send("workflow_run", run(None)).await;
    let took = build_time(head);
    let deliverer = Arc::clone(deliverer);
    let conclusion = if failed_build(&subject) {
        "failure"
    } else {
        "success"
    };
    let done = run(Some(conclusion));
    tokio::spawn(async move {
        tokio::time::sleep(took).await;
        // The time it finished, not when it was queued.
        let mut done = done;
        done["workflow_run"]["updated_at"] = json!(rfc3339(unix_now()));
        deliverer.send("workflow_run", done).await;
    });
}
