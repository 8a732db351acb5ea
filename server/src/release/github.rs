//! GitHub webhooks: the signature check and the two events Berth uses.
//! Only what Berth reads is parsed; everything in them is bounded before
//! it is kept.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::gitops::names::visible_line;

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no X-Hub-Signature-256 header")]
    MissingSignature,
    #[error("the X-Hub-Signature-256 header is not `sha256=<64 hex digits>`")]
    MalformedSignature,
    #[error("the signature does not match the body")]
    BadSignature,
    #[error("malformed {event} payload: {reason}")]
    Malformed { event: String, reason: String },
}

impl Refusal {
    /// A short, fixed name for counting refusals.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::MissingSignature => "missing_signature",
            Refusal::MalformedSignature => "malformed_signature",
            Refusal::BadSignature => "bad_signature",
            Refusal::Malformed { .. } => "malformed_body",
        }
    }
}

/// Checks `X-Hub-Signature-256` (HMAC-SHA256 of the raw body, hex) in
/// constant time.
pub fn verify(secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), Refusal> {
    let header = header.ok_or(Refusal::MissingSignature)?;
    let hex_digest = header
        .trim()
        .strip_prefix("sha256=")
        .filter(|h| h.len() == 64)
        .ok_or(Refusal::MalformedSignature)?;
    let digest = hex::decode(hex_digest).map_err(|_| Refusal::MalformedSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&digest).map_err(|_| Refusal::BadSignature)
}

/// The signature GitHub would send for `body`; for tests and the demo's CI.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Push(Push),
    /// A completed workflow run: a build.
    Run(Run),
    /// A workflow run was requested or started: a build is under way.
    RunStarted(Run),
    /// Signed and understood, but nothing for Berth to do (a ping, a run
    /// that has not completed, an event Berth does not use).
    Ignored(String),
}

/// A push of commits to a branch.
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    pub repository: String,
    pub branch: String,
    pub after: String,
    /// Oldest first, as GitHub lists them.
    pub commits: Vec<PushedCommit>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PushedCommit {
    pub sha: String,
    pub author: String,
    /// The first line, cut to 200 characters.
    pub message: String,
    pub at: i64,
    /// Whether it is new to the repository (a merge brings commits that
    /// were already pushed to another branch).
    pub distinct: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub repository: String,
    pub workflow: String,
    /// The workflow's file, `.github/workflows/build.yml`.
    pub workflow_path: String,
    /// The run's page on GitHub, when it is a plain web address.
    pub url: Option<String>,
    /// When the run started.
    pub started_at: Option<i64>,
    pub branch: String,
    pub sha: String,
    pub success: bool,
    pub finished_at: i64,
}

#[derive(Deserialize)]
struct Repository {
    full_name: String,
}

#[derive(Deserialize)]
struct PushBody {
    #[serde(rename = "ref")]
    reference: String,
    after: String,
    #[serde(default)]
    deleted: bool,
    repository: Repository,
    #[serde(default)]
    commits: Vec<CommitBody>,
}

#[derive(Deserialize)]
struct CommitBody {
    id: String,
    message: String,
    timestamp: String,
    author: AuthorBody,
    #[serde(default = "yes")]
    distinct: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct AuthorBody {
    name: String,
    #[serde(default)]
    username: Option<String>,
}

#[derive(Deserialize)]
struct RunEnvelope {
    action: String,
    workflow_run: RunBody,
    repository: Repository,
}

#[derive(Deserialize)]
struct RunBody {
    name: String,
    #[serde(default)]
    path: String,
    /// What started the run: `push`, `pull_request`, …
    event: Option<String>,
    head_repository: Option<Repository>,
    head_branch: Option<String>,
    head_sha: String,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    run_started_at: Option<String>,
    conclusion: Option<String>,
    updated_at: String,
}

/// Reads a delivery of `event` (the `X-GitHub-Event` header).
pub fn parse(event: &str, body: &[u8]) -> Result<Event, Refusal> {
    let malformed = |reason: String| Refusal::Malformed {
        event: event.chars().take(40).collect(),
        reason: reason.chars().take(200).collect(),
    };
    match event {
        "push" => {
            let push: PushBody =
                serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
            let Some(branch) = push.reference.strip_prefix("refs/heads/") else {
                return Ok(Event::Ignored(format!(
                    "a push to {}",
                    bounded(&push.reference, 100)
                )));
            };
            if push.deleted {
                return Ok(Event::Ignored("a branch was deleted".into()));
            }
            check_sha(&push.after).map_err(malformed)?;
            let mut commits = Vec::with_capacity(push.commits.len());
            for c in push.commits {
                check_sha(&c.id).map_err(malformed)?;
                commits.push(PushedCommit {
                    at: timestamp(&c.timestamp).map_err(malformed)?,
                    author: visible_line(
                        c.author.username.as_deref().unwrap_or(&c.author.name),
                        100,
                    ),
                    message: visible_line(c.message.lines().next().unwrap_or(""), 200),
                    sha: c.id.to_ascii_lowercase(),
                    distinct: c.distinct,
                });
            }
            Ok(Event::Push(Push {
                repository: bounded(&push.repository.full_name, 200),
                branch: bounded(branch, 255),
                after: push.after.to_ascii_lowercase(),
                commits,
            }))
        }
        "workflow_run" => {
            let run: RunEnvelope =
                serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
            let body = run.workflow_run;
            let Some(branch) = body.head_branch else {
                return Ok(Event::Ignored("a workflow run without a branch".into()));
            };
            // A pull request's run builds a branch of whoever opened it (a
            // fork's `main` is called `main` too): only runs of the
            // repository's own branches are builds of them.
            let head = body.head_repository.as_ref().map(|r| r.full_name.as_str());
            if head != Some(run.repository.full_name.as_str()) {
                return Ok(Event::Ignored(
                    "a workflow run of another repository's branch".into(),
                ));
            }
            match body.event.as_deref() {
                Some("push" | "workflow_dispatch" | "schedule") => {}
                other => {
                    return Ok(Event::Ignored(format!(
                        "a workflow run started by {}",
                        bounded(other.unwrap_or("an unnamed event"), 40)
                    )))
                }
            }
            check_sha(&body.head_sha).map_err(malformed)?;
            let finished_at = timestamp(&body.updated_at).map_err(malformed)?;
            let build = |success| Run {
                repository: bounded(&run.repository.full_name, 200),
                workflow: bounded(&body.name, 200),
                workflow_path: bounded(&body.path, 300),
                url: body.html_url.as_deref().and_then(super::builds::run_url),
                started_at: body
                    .run_started_at
                    .as_deref()
                    .and_then(|t| timestamp(t).ok()),
                branch: bounded(&branch, 255),
                sha: body.head_sha.to_ascii_lowercase(),
                success,
                finished_at,
            };
            match run.action.as_str() {
                "completed" => {}
                "requested" | "in_progress" => return Ok(Event::RunStarted(build(false))),
                other => {
                    return Ok(Event::Ignored(format!(
                        "a workflow run {}",
                        bounded(other, 40)
                    )))
                }
            }
            // Cancelled, skipped, neutral and alike produce no image.
            let success = match body.conclusion.as_deref() {
                Some("success") => true,
                Some("failure" | "timed_out" | "startup_failure") => false,
                other => {
                    return Ok(Event::Ignored(format!(
                        "a workflow run that ended {}",
                        bounded(other.unwrap_or("without a conclusion"), 40)
                    )))
                }
            };
            Ok(Event::Run(build(success)))
        }
        "ping" => Ok(Event::Ignored("ping".into())),
        other => Ok(Event::Ignored(format!(
            "the {} event is not used",
            bounded(other, 40)
        ))),
    }
}

/// A full commit sha: 40 (SHA-1) or 64 (SHA-256) hex digits.
pub fn check_sha(sha: &str) -> Result<(), String> {
    if matches!(sha.len(), 40 | 64) && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!("`{}` is not a full commit sha", bounded(sha, 70)))
    }
}

fn timestamp(text: &str) -> Result<i64, String> {
    text.parse::<k8s_openapi::jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|_| format!("`{}` is not an RFC 3339 time", bounded(text, 40)))
}

fn bounded(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests;
