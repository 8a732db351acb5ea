//! Builds, the prod pipeline and release records: `ReleaseStore`.

use app::model::{Build, BuildRun, MarkerProblem, PipelineCommit, Release, ReleaseOutcome, Stage};

use super::StoreResult;

/// What storing a build report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildStored {
    /// A build Berth had not heard of.
    New,
    /// A newer report of a known build (a re-run) changed its result.
    Changed,
    /// The same report again, or an older one: nothing changed.
    Unchanged,
    /// Nothing stored: the tag already names this other commit of the
    /// service.
    TagTaken(String),
}

/// A release about to start.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRelease {
    pub service: String,
    pub environment: String,
    pub sha: String,
    pub image_tag: String,
    pub started_at: i64,
    pub trigger: String,
    pub triggered_by: String,
    pub committed_at: Option<i64>,
}

/// A deploy marker to send.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMarker {
    pub release_id: i64,
    pub sink: String,
    pub service: String,
    pub image_tag: String,
    pub payload: String,
}

/// A deploy marker due to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub id: i64,
    pub sink: String,
    pub payload: String,
    pub attempts: u32,
}

#[async_trait::async_trait]
pub trait ReleaseStore: Send + Sync + 'static {
    /// Idempotent on (service, sha, image tag); a report finished later
    /// than the stored one replaces its result. A tag names one commit of
    /// a service: checked in the same statement that stores the build, so
    /// two reports racing for one tag cannot both be stored.
    async fn record_build(&self, build: &Build, received_at: i64) -> StoreResult<BuildStored>;
    /// What CI said of the run that built `run.sha`: fields it did not
    /// say keep what was known.
    async fn record_run(&self, service: &str, run: &BuildRun, at: i64) -> StoreResult<()>;
    /// The runs of these commits of `service` that are known.
    async fn runs_of(&self, service: &str, shas: &[String]) -> StoreResult<Vec<BuildRun>>;
    /// The newest successful build of a branch, by finish time.
    async fn newest_green_build(&self, service: &str, branch: &str) -> StoreResult<Option<Build>>;
    /// Claims a delivery before it is handled; false if it was handled
    /// before, or another claim on it is younger than `stale_after`
    /// seconds (a claim older than that was left by a process that died).
    async fn claim_delivery(
        &self,
        delivery: &str,
        event: &str,
        at: i64,
        stale_after: i64,
    ) -> StoreResult<bool>;
    /// A claimed delivery took effect: a redelivery changes nothing.
    async fn delivery_handled(&self, delivery: &str) -> StoreResult<()>;
    /// Gives a claim up: the delivery did nothing, and may come again.
    async fn forget_delivery(&self, delivery: &str) -> StoreResult<()>;
    /// Adds default-branch commits not on the pipeline yet; known ones
    /// keep their stage.
    async fn add_pipeline_commits(&self, commits: &[PipelineCommit]) -> StoreResult<()>;
    async fn pipeline_commit(
        &self,
        service: &str,
        sha: &str,
    ) -> StoreResult<Option<PipelineCommit>>;
    /// What newest-wins needs of a service: every commit still in flight
    /// (pushed, building, passed, deploying) and the newest one whose
    /// deploy was ever started.
    async fn pipeline_open(&self, service: &str) -> StoreResult<Vec<PipelineCommit>>;
    /// The service's newest commit whose deploy succeeded.
    async fn newest_deployed(&self, service: &str) -> StoreResult<Option<PipelineCommit>>;
    /// The newest `limit` commits of a service, newest first.
    async fn pipeline(&self, service: &str, limit: u32) -> StoreResult<Vec<PipelineCommit>>;
    async fn set_stage(
        &self,
        service: &str,
        sha: &str,
        stage: Stage,
        at: i64,
        image_tag: Option<&str>,
        note: &str,
    ) -> StoreResult<()>;
    async fn start_release(&self, release: &NewRelease) -> StoreResult<i64>;
    /// Ends a release still deploying; false when it had already ended
    /// (superseded meanwhile, or ended by another process).
    async fn finish_release(&self, id: i64, outcome: ReleaseOutcome, at: i64) -> StoreResult<bool>;
    /// A release that already ended (read from a cluster's history).
    async fn record_release(
        &self,
        release: &NewRelease,
        outcome: ReleaseOutcome,
        finished_at: i64,
    ) -> StoreResult<i64>;
    async fn count_releases(&self, environment: &str) -> StoreResult<i64>;
    /// The newest release of a service to an environment.
    async fn latest_release(
        &self,
        service: &str,
        environment: &str,
    ) -> StoreResult<Option<Release>>;
    async fn release(&self, id: i64) -> StoreResult<Option<Release>>;
    /// A deployed release rolled back: it counts as failed from now on.
    /// False when it was not deployed.
    async fn fail_deployed_release(&self, id: i64) -> StoreResult<bool>;
    /// The newest deployed releases of a service, one per image tag,
    /// newest first: what a rollback can go back to.
    async fn deployed_releases(
        &self,
        service: &str,
        environment: &str,
        limit: u32,
    ) -> StoreResult<Vec<Release>>;
    /// Every (service, branch) with a green build.
    async fn green_branches(&self) -> StoreResult<Vec<(String, String)>>;
    /// A commit's newest green build on `branch`.
    async fn green_build_of(
        &self,
        service: &str,
        branch: &str,
        sha: &str,
    ) -> StoreResult<Option<Build>>;
    /// Releases still deploying, oldest first.
    async fn open_releases(&self) -> StoreResult<Vec<Release>>;
    /// Calls `each` with (service, finished at, deployed, lead time) for
    /// every deployed or failed release of `environment`, streamed.
    async fn each_finished_release(
        &self,
        environment: &str,
        each: &mut (dyn for<'s> FnMut(&'s str, i64, bool, Option<i64>) + Send),
    ) -> StoreResult<usize>;
    /// The newest releases of an environment (all services), newest first.
    async fn releases(&self, environment: &str, limit: u32) -> StoreResult<Vec<Release>>;
    async fn enqueue_markers(&self, markers: &[NewMarker], at: i64) -> StoreResult<()>;
    /// Pending markers whose time has come, oldest first.
    async fn due_markers(&self, now: i64, limit: u32) -> StoreResult<Vec<Marker>>;
    async fn marker_sent(&self, id: i64, at: i64) -> StoreResult<()>;
    /// A failed attempt: tried again at `next_at`, or given up without one.
    async fn marker_failed(
        &self,
        id: i64,
        attempts: u32,
        next_at: Option<i64>,
        error: &str,
    ) -> StoreResult<()>;
    /// Markers made since `since` that failed at least once and were not
    /// sent since.
    async fn marker_problems(&self, since: i64, limit: u32) -> StoreResult<Vec<MarkerProblem>>;
}
