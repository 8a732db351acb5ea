//! The live half of a cell or a sandbox, from what the cluster holds: sync
//! and health as Argo CD says, the images that really run, and what
//! differs from git in words. Argo CD 3.x leaves `health.message` empty, so
//! the reasons come from the Pods and the Deployment, as `kubectl describe`
//! would show them.

use std::sync::Arc;

use app::model::{ChainStep, LiveStatus, StepState};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::index::Workloads;
use crate::{
    cluster::{
        application::{ApplicationStatus, OperationState, SyncStatus},
        Application, Deployment, Pod,
    },
    gitops::names::branch_slug,
};

/// Cluster text shown on a page is cut here: an Application's message is
/// written by anyone who can edit it.
const MAX_TEXT: usize = 300;

/// Container states that mean it will not come up by itself.
const FAILING: [&str; 7] = [
    "ImagePullBackOff",
    "ErrImagePull",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
    "RunContainerError",
];

/// What git says should run, to compare against.
pub struct Expect<'a> {
    /// The branch the file names; None when the file does not deploy it.
    pub branch: Option<&'a str>,
    /// The service's image repository, to pick its tags out of the images.
    pub image: Option<&'a str>,
}

pub struct Facts<'a> {
    pub cluster: &'a str,
    pub name: &'a str,
    pub application: Option<&'a Application>,
    pub workloads: Option<&'a Workloads>,
    pub stale_since: Option<i64>,
}

fn cut(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

fn unix(time: &Time) -> i64 {
    time.0.as_second()
}

/// RFC 3339 as Argo CD writes it into status fields.
fn parse_time(text: Option<&String>) -> Option<i64> {
    text?
        .parse::<k8s_openapi::jiff::Timestamp>()
        .ok()
        .map(|t| t.as_second())
}

pub fn status(facts: &Facts, expect: &Expect) -> LiveStatus {
    let mut live = LiveStatus {
        cluster: facts.cluster.to_string(),
        application: facts.name.to_string(),
        stale_since: facts.stale_since,
        ..LiveStatus::default()
    };
    let Some(app) = facts.application else {
        if let Some(branch) = expect.branch {
            live.drift.push(format!(
                "the file says `{branch}`, but Argo CD has no Application `{}` in cluster `{}`",
                facts.name, facts.cluster
            ));
        }
        return live;
    };
    live.found = true;
    // Borrowed, not cloned: this runs for every Application on each change.
    let empty = ApplicationStatus::default();
    let status = app.status.as_ref().unwrap_or(&empty);
    let sync = status.sync.as_ref();
    let health = status.health.as_ref();
    live.sync = or_unknown(sync.map_or("", |s| s.status.as_str()));
    live.health = or_unknown(health.map_or("", |h| h.status.as_str()));
    // Anyone who may edit the Application may write any text here.
    live.revision = sync.and_then(revision).map(cut);
    let no_operation = OperationState::default();
    let operation = status.operation_state.as_ref().unwrap_or(&no_operation);
    live.synced_at = match operation.phase.as_str() {
        "Succeeded" => parse_time(operation.finished_at.as_ref()),
        _ => None,
    }
    .or_else(|| {
        status
            .history
            .iter()
            .max_by_key(|h| h.id)
            .and_then(|h| parse_time(h.deployed_at.as_ref()))
    });
    let images = status.summary.as_ref().map_or(&[][..], |s| &s.images[..]);
    live.images = running_tags(images, facts.workloads, expect.image);

    if expect.branch.is_none() {
        live.drift
            .push("Argo CD still runs it, but the file does not deploy it".into());
    }
    let workload_reason = facts.workloads.and_then(workload_reason);
    let app_reason = health
        .and_then(|h| h.message.as_deref())
        .filter(|m| !m.trim().is_empty())
        .map(cut)
        .or_else(|| {
            status
                .conditions
                .iter()
                .find(|c| c.kind.ends_with("Error") || c.kind.ends_with("Warning"))
                .map(|c| {
                    cut(&format!(
                        "{}: {}",
                        c.kind,
                        c.message.as_deref().unwrap_or("")
                    ))
                })
        });
    match operation.phase.as_str() {
        "Failed" | "Error" => live.drift.push(format!(
            "the last sync failed: {}",
            cut(operation.message.as_deref().unwrap_or("no message"))
        )),
        "Running" => {}
        _ if live.sync == "OutOfSync" => live
            .drift
            .push("OutOfSync: the cluster does not match git".into()),
        _ => {}
    }
    match live.health.as_str() {
        "Degraded" | "Missing" | "Suspended" => {
            let reason = workload_reason.clone().or(app_reason);
            live.drift.push(match reason {
                Some(reason) => format!("{}: {reason}", live.health),
                None => live.health.clone(),
            });
        }
        _ => {
            if let Some(reason) = workload_reason {
                live.drift.push(reason);
            }
        }
    }
    if let Some(branch) = expect.branch {
        if let Some(words) = branch_drift(branch, &live.images) {
            live.drift.push(words);
        }
    }
    live
}

/// The revision Argo CD synced to; for a multi-source Application, its
/// first source's (the watch does not keep which source holds the image).
fn revision(sync: &SyncStatus) -> Option<&str> {
    let first = || {
        sync.revisions
            .iter()
            .map(String::as_str)
            .find(|r| !r.is_empty())
    };
    sync.revision
        .as_deref()
        .filter(|r| !r.is_empty())
        .or_else(first)
}

fn or_unknown(text: &str) -> String {
    if text.is_empty() {
        "Unknown".into()
    } else {
        cut(text)
    }
}

/// The tag of an image reference, if it has one (`repo:tag`, not a digest).
pub(crate) fn split_image(image: &str) -> (&str, Option<&str>) {
    let image = image.split('@').next().unwrap_or(image);
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (image, None),
    }
}

/// Tags of the service's images as Argo CD rendered them, else as the
/// Pods run them.
fn running_tags(
    images: &[String],
    workloads: Option<&Workloads>,
    repo: Option<&str>,
) -> Vec<String> {
    let pick = |image: &str| {
        let (name, tag) = split_image(image);
        tag.filter(|_| repo.is_none_or(|r| r == name)).map(cut)
    };
    let mut tags: Vec<String> = images.iter().filter_map(|i| pick(i)).collect();
    if tags.is_empty() {
        let pods = workloads.map(|w| w.pods.as_slice()).unwrap_or_default();
        tags = pods
            .iter()
            .filter_map(|p| p.spec.as_ref())
            .flat_map(|s| &s.containers)
            .filter_map(|c| c.image.as_deref().and_then(pick))
            .collect();
    }
    tags.sort();
    tags.dedup();
    tags.truncate(8);
    tags
}

/// The branch slug a `{branch_slug}-{sha}` tag was built from.
fn built_from(tag: &str) -> Option<&str> {
    split_tag(tag).map(|(slug, _)| slug)
}

/// A `{branch_slug}-{sha}` tag's two parts, when it ends in a hex sha.
pub(crate) fn split_tag(tag: &str) -> Option<(&str, &str)> {
    let (slug, sha) = tag.rsplit_once('-')?;
    let hex = sha.len() >= 7 && sha.len() <= 40 && sha.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then_some((slug, sha))
}

/// Whether one of the running tags was built from `branch`.
pub fn runs_branch(branch: &str, tags: &[String]) -> bool {
    let slug = branch_slug(branch);
    tags.iter().any(|t| built_from(t) == Some(slug.as_str()))
}

/// "The file says X but the image was built from Y", when the tags say so.
fn branch_drift(branch: &str, tags: &[String]) -> Option<String> {
    let slug = branch_slug(branch);
    if tags.iter().any(|t| built_from(t) == Some(slug.as_str())) {
        return None;
    }
    let (tag, from) = tags.iter().find_map(|t| built_from(t).map(|f| (t, f)))?;
    Some(format!(
        "the file says `{branch}`, but the running image `{tag}` was built from `{from}`"
    ))
}

/// Why the workload is not coming up: a container stuck waiting, else the
/// Deployment's own conditions.
fn workload_reason(workloads: &Workloads) -> Option<String> {
    waiting_reason(&workloads.pods).or_else(|| deployment_reason(&workloads.deployments))
}

fn waiting_reason(pods: &[Arc<Pod>]) -> Option<String> {
    pods.iter()
        .filter_map(|p| p.status.as_ref())
        .flat_map(|s| s.container_statuses.iter().flatten())
        .filter_map(|c| c.state.as_ref()?.waiting.as_ref())
        .find(|w| FAILING.contains(&w.reason.as_deref().unwrap_or("")))
        .map(|w| {
            let reason = w.reason.as_deref().unwrap_or("");
            match w.message.as_deref().filter(|m| !m.is_empty()) {
                Some(message) => cut(&format!("{reason}: {message}")),
                None => reason.to_string(),
            }
        })
}

fn deployment_reason(deployments: &[Arc<Deployment>]) -> Option<String> {
    deployments
        .iter()
        .filter_map(|d| d.status.as_ref())
        .flat_map(|s| s.conditions.iter().flatten())
        .find(|c| {
            c.status == "False"
                && (c.reason.as_deref() == Some("ProgressDeadlineExceeded")
                    || c.type_ == "Available")
        })
        .map(|c| {
            let reason = c.reason.as_deref().unwrap_or(&c.type_);
            cut(&format!("{reason}: {}", c.message.as_deref().unwrap_or("")))
        })
}

/// File committed → Application generated → Synced → Pod ready → Ingress
/// host set, each with its time; the first step that cannot go on says why.
pub fn chain(committed: Option<i64>, live: &LiveStatus, facts: &Facts) -> Vec<ChainStep> {
    let step = |label: &str, state, at, detail: Option<String>| ChainStep {
        label: label.into(),
        state,
        at,
        detail,
    };
    let done = |yes: bool| {
        if yes {
            StepState::Done
        } else {
            StepState::Waiting
        }
    };
    let app = facts.application;
    let empty = Workloads::default();
    let workloads = facts.workloads.unwrap_or(&empty);
    let operation = app
        .and_then(|a| a.status.as_ref())
        .and_then(|s| s.operation_state.clone())
        .unwrap_or_default();

    let sync_failed = matches!(operation.phase.as_str(), "Failed" | "Error");
    let synced = if sync_failed {
        step(
            "Synced",
            StepState::Failed,
            parse_time(operation.finished_at.as_ref()),
            Some(cut(operation
                .message
                .as_deref()
                .unwrap_or("the sync failed"))),
        )
    } else {
        step("Synced", done(live.sync == "Synced"), live.synced_at, None)
    };
    let ready_at = workloads
        .pods
        .iter()
        .filter_map(|p| p.status.as_ref())
        .flat_map(|s| s.conditions.iter().flatten())
        .find(|c| c.type_ == "Ready" && c.status == "True")
        .map(|c| c.last_transition_time.as_ref().map(unix));
    let pod = match (ready_at, waiting_reason(&workloads.pods)) {
        (Some(at), _) => step("Pod ready", StepState::Done, at, None),
        (None, Some(reason)) => step("Pod ready", StepState::Failed, None, Some(reason)),
        (None, None) => step("Pod ready", StepState::Waiting, None, None),
    };
    let host = workloads.ingresses.iter().find_map(|i| {
        let host = i
            .spec
            .as_ref()?
            .rules
            .iter()
            .flatten()
            .find_map(|r| r.host.clone())?;
        Some((cut(&host), i.metadata.creation_timestamp.as_ref().map(unix)))
    });
    let ingress = match host {
        Some((host, at)) => step("Ingress host set", StepState::Done, at, Some(host)),
        None => step("Ingress host set", StepState::Waiting, None, None),
    };
    let mut steps = vec![
        step("File committed", done(committed.is_some()), committed, None),
        step(
            "Application generated",
            done(app.is_some()),
            app.and_then(|a| a.metadata.creation_timestamp.as_ref().map(unix)),
            None,
        ),
        synced,
        pod,
        ingress,
    ];
    // Only the first failure is the cause; what follows it just waits.
    if let Some(first) = steps.iter().position(|s| s.state == StepState::Failed) {
        for later in &mut steps[first + 1..] {
            if later.state == StepState::Failed {
                later.state = StepState::Waiting;
            }
        }
    }
    steps
}

#[cfg(test)]
mod tests;
