//! One Application's life as Argo CD drives it, a step at a time: a new
//! spec is noticed (OutOfSync), the sync runs, the manifests are applied
//! (Synced), the new Pod comes up and, for a sandbox, its Ingress gets an
//! address; or the Pod cannot run and the rollout misses its progress
//! deadline (Degraded). Pure: the controller calls `advance` when a step
//! is due and renders the objects from the state it leaves.

use std::time::Duration;

use super::{
    desired::{Desired, Fault, Image},
    live::{kube_id, Deploy, Health, Operation, Phase, PodRun, PodState},
};

/// Time between two steps of a rollout.
pub const STEP: Duration = Duration::from_secs(1);
/// The Deployments' `progressDeadlineSeconds`: short, so that a demo shows
/// a failed rollout turn Degraded while someone watches.
pub const PROGRESS_DEADLINE_SECS: i64 = 20;
/// Argo CD keeps this many history entries unless told otherwise.
pub const HISTORY_LIMIT: usize = 10;
const SUCCEEDED: &str = "successfully synced (all tasks run)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// A new spec was seen; nothing is applied yet.
    Noticed,
    /// The sync operation runs; the Deployment starts a new Pod.
    Syncing,
    /// The manifests are applied; the new Pod's container starts.
    Applied,
    /// The new Pod is ready, or shows why it is not.
    Started,
    /// A sandbox's Ingress has its address.
    Exposed,
    /// The rollout missed its progress deadline.
    Stuck,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ready,
    PullFails,
    Crash,
}

#[derive(Debug, Clone)]
pub struct App {
    pub desired: Desired,
    pub image: Image,
    /// A standing fault and the image it belongs to.
    pub fault: Option<(Fault, String)>,
    pub stage: Stage,
    /// When the current stage began: Argo CD's last reconciliation.
    pub stage_at: i64,
    /// The GitOps commit the spec was compared against.
    pub revision: String,
    /// Shown while `Noticed`, when nothing has happened yet.
    health_before: Health,
    /// `status.summary.images`.
    pub images: Vec<String>,
    /// The image of the Deployment's template; `None` before the first sync.
    pub deployed_image: Option<String>,
    pub generation: i64,
    pub operation: Option<Operation>,
    pub history: Vec<Deploy>,
    /// `spec.revisionHistoryLimit`: how many syncs `history` keeps.
    pub history_limit: usize,
    /// The Pod of the last rollout that came up.
    pub current: Option<PodRun>,
    /// The Pod of the rollout under way, or of one that failed.
    pub next: Option<PodRun>,
    /// Whether a sandbox's Ingress has its load balancer address.
    pub exposed: bool,
}

impl App {
    /// A newly generated Application: OutOfSync and Missing until synced.
    pub fn created(desired: Desired, image: Image, revision: String, now: i64) -> App {
        App {
            desired,
            image,
            fault: None,
            stage: Stage::Noticed,
            stage_at: now,
            revision,
            health_before: Health::Missing,
            images: Vec::new(),
            deployed_image: None,
            generation: 0,
            operation: None,
            history: Vec::new(),
            history_limit: HISTORY_LIMIT,
            current: None,
            next: None,
            exposed: false,
        }
    }

    /// Syncs before the first one this controller made, oldest first.
    pub fn remember(&mut self, past: Vec<Deploy>, limit: usize) {
        self.history_limit = limit;
        let mut history = past;
        history.append(&mut self.history);
        let skip = history.len().saturating_sub(limit);
        self.history = history.split_off(skip);
        for (id, deploy) in self.history.iter_mut().enumerate() {
            deploy.id = id as i64;
        }
    }

    /// An Application as it stands well after its last sync, which
    /// followed `deployed`, the commit (and its time) that last changed
    /// its file.
    pub fn settled(
        desired: Desired,
        image: Image,
        fault: Option<Fault>,
        revision: String,
        deployed: (&str, i64),
        now: i64,
    ) -> App {
        let mut app = App::created(desired, image, revision, now);
        let image = app.image.reference();
        let sandbox = app.desired.is_sandbox();
        app.fault = fault.map(|f| (f, image.clone()));
        app.generation = 1;
        app.deployed_image = Some(image.clone());
        app.images = vec![image];
        app.exposed = sandbox;
        // Argo CD polls git and syncs within a minute or so of a commit.
        let finished = (deployed.1 + 45).min(now);
        app.operation = Some(Operation {
            phase: Phase::Running,
            message: String::new(),
            revision: deployed.0.to_string(),
            tag: app.image.tag.clone(),
            started_at: finished - 15,
            finished_at: None,
        });
        let pod = app.new_pod(finished - 12);
        app.stage = Stage::Stuck;
        match app.outcome() {
            Outcome::Ready => {
                app.current = Some(PodRun {
                    state: PodState::Ready,
                    ..pod
                });
                app.stage = if sandbox {
                    Stage::Exposed
                } else {
                    Stage::Started
                };
                app.succeed(finished);
            }
            Outcome::Crash => {
                app.current = Some(PodRun {
                    state: PodState::CrashLoop,
                    restarts: 17,
                    ..pod
                });
                app.succeed(finished);
            }
            Outcome::PullFails => {
                app.next = Some(PodRun {
                    state: PodState::PullBackOff,
                    ..pod
                });
                if sandbox {
                    app.fail((finished + PROGRESS_DEADLINE_SECS).min(now));
                } else {
                    app.succeed(finished);
                }
            }
        }
        app.stage_at = now;
        app
    }

    /// Git, or someone patching the image, asks for something else: the
    /// rollout starts over from there.
    pub fn retarget(&mut self, desired: Desired, image: Image, revision: String, now: i64) {
        self.health_before = self.health();
        self.desired = desired;
        self.image = image;
        self.revision = revision;
        self.stage = Stage::Noticed;
        self.stage_at = now;
    }

    /// Takes the next step; returns when the one after it is due, if any.
    pub fn advance(&mut self, now: i64) -> Option<Duration> {
        let sandbox = self.desired.is_sandbox();
        let outcome = self.outcome();
        self.stage_at = now;
        match self.stage {
            Stage::Noticed => {
                self.stage = Stage::Syncing;
                self.generation += 1;
                self.deployed_image = Some(self.image.reference());
                self.operation = Some(Operation {
                    phase: Phase::Running,
                    message: "one or more tasks are running".into(),
                    revision: self.revision.clone(),
                    tag: self.image.tag.clone(),
                    started_at: now,
                    finished_at: None,
                });
                // Replaces the Pod of a rollout still under way.
                self.next = Some(self.new_pod(now));
                Some(STEP)
            }
            Stage::Syncing => {
                self.stage = Stage::Applied;
                let image = self.image.reference();
                self.images = self.current.iter().map(|p| p.image.clone()).collect();
                if !self.images.contains(&image) {
                    self.images.push(image);
                }
                if let Some(pod) = &mut self.next {
                    pod.state = match outcome {
                        Outcome::PullFails => PodState::ErrImagePull,
                        _ => PodState::Starting,
                    };
                }
                if sandbox {
                    self.wait_for("apps/Deployment");
                } else {
                    self.succeed(now);
                }
                Some(STEP)
            }
            Stage::Applied => {
                self.stage = Stage::Started;
                if outcome == Outcome::Ready {
                    // The old Pod goes once the new one is ready.
                    self.current = self.next.take().map(|pod| PodRun {
                        state: PodState::Ready,
                        ..pod
                    });
                    self.images = self.current.iter().map(|p| p.image.clone()).collect();
                    if !sandbox {
                        return None;
                    }
                    self.wait_for("networking.k8s.io/Ingress");
                    return Some(STEP);
                }
                if let Some(pod) = &mut self.next {
                    if outcome == Outcome::Crash {
                        pod.state = PodState::CrashLoop;
                        pod.restarts = 1;
                    } else {
                        pod.state = PodState::PullBackOff;
                    }
                }
                Some(if sandbox {
                    STEP
                } else {
                    self.until_deadline(now)
                })
            }
            Stage::Started if sandbox => {
                self.stage = Stage::Exposed;
                self.exposed = true;
                if outcome == Outcome::Ready {
                    self.succeed(now);
                    return None;
                }
                Some(self.until_deadline(now))
            }
            Stage::Started | Stage::Exposed => {
                self.stage = Stage::Stuck;
                if sandbox {
                    self.fail(now);
                }
                None
            }
            Stage::Stuck => None,
        }
    }

    pub fn synced(&self) -> bool {
        self.stage >= Stage::Applied
    }

    pub fn health(&self) -> Health {
        let ready = self.outcome() == Outcome::Ready;
        match self.stage {
            Stage::Noticed => self.health_before,
            Stage::Started if ready && !self.desired.is_sandbox() => Health::Healthy,
            Stage::Exposed if ready => Health::Healthy,
            Stage::Syncing | Stage::Applied | Stage::Started | Stage::Exposed => {
                Health::Progressing
            }
            Stage::Stuck => Health::Degraded,
        }
    }

    /// Whether the Deployment has given up on its rollout.
    pub fn deadline_exceeded(&self) -> bool {
        self.stage == Stage::Stuck
    }

    pub fn pods(&self) -> impl Iterator<Item = &PodRun> {
        self.current.iter().chain(self.next.iter())
    }

    fn outcome(&self) -> Outcome {
        let image = self.image.reference();
        match &self.fault {
            Some((Fault::Crash, faulty)) if *faulty == image => Outcome::Crash,
            Some((Fault::PullFails, faulty)) if *faulty == image => Outcome::PullFails,
            _ if !self.image.exists => Outcome::PullFails,
            // A spike is an experiment: deployed, it crash-loops, so
            // promoting one shows a cell going bad.
            _ if self.image.tag.starts_with("spike-") => Outcome::Crash,
            _ => Outcome::Ready,
        }
    }

    fn new_pod(&self, now: i64) -> PodRun {
        let image = self.image.reference();
        let name = &self.desired.name;
        let template_hash = kube_id(&format!("{name}/{image}"), 10);
        let suffix = kube_id(&format!("{name}/{image}/{}", self.generation), 5);
        PodRun {
            name: format!("{name}-{template_hash}-{suffix}"),
            image,
            template_hash,
            created_at: now,
            state: PodState::Creating,
            restarts: 0,
        }
    }

    /// Until the rollout's progress deadline, counted from its sync.
    fn until_deadline(&self, now: i64) -> Duration {
        let started = self.operation.as_ref().map_or(now, |op| op.started_at);
        let left = started + PROGRESS_DEADLINE_SECS - now;
        Duration::from_secs(left.max(1) as u64)
    }

    fn wait_for(&mut self, kind: &str) {
        let message = format!("waiting for healthy state of {kind}/{}", self.desired.name);
        if let Some(op) = &mut self.operation {
            op.message = message;
        }
    }

    fn succeed(&mut self, now: i64) {
        let Some(op) = &mut self.operation else {
            return;
        };
        op.phase = Phase::Succeeded;
        op.message = SUCCEEDED.into();
        op.finished_at = Some(now);
        let id = self.history.last().map_or(0, |d| d.id + 1);
        self.history.push(Deploy {
            id,
            revision: op.revision.clone(),
            tag: op.tag.clone(),
            started_at: op.started_at,
            deployed_at: now,
        });
        if self.history.len() > self.history_limit {
            self.history.remove(0);
        }
    }

    /// A sandbox's sync waits for its Deployment (a PostSync hook needs
    /// it), so a Pod that never comes up fails the operation.
    fn fail(&mut self, now: i64) {
        let name = &self.desired.name;
        if let Some(op) = &mut self.operation {
            op.phase = Phase::Failed;
            op.message = format!(
                "one or more synchronization tasks completed unsuccessfully, reason: Deployment \"{name}\" exceeded its progress deadline"
            );
            op.finished_at = Some(now);
        }
    }
}

#[cfg(test)]
mod tests;
