//! `ReleaseStore` for `SqliteStore`.

use app::model::{
    Build, BuildResult, BuildRun, MarkerProblem, PipelineCommit, Release, ReleaseOutcome, Stage,
};
use sqlx::{sqlite::SqliteRow, Row};

use super::SqliteStore;
use crate::store::{
    BuildStored, Marker, NewMarker, NewRelease, ReleaseStore, StoreError, StoreResult,
};

/// How long what CI said of a build run is kept.
const RUNS_KEPT_SECS: i64 = 90 * 86_400;

/// How long a handled webhook delivery is remembered.
const DELIVERIES_KEPT_SECS: i64 = 7 * 86_400;

const BUILD_COLUMNS: &str = "service, branch, sha, image_tag, result, finished_at, reported_by";
const COMMIT_COLUMNS: &str = "service, sha, position, author, message, committed_at, pushed_at, stage, stage_at, built_at, deploy_started_at, deploy_ended_at, image_tag, note";
const RELEASE_COLUMNS: &str = "id, service, environment, sha, image_tag, started_at, finished_at, outcome, trigger_kind, triggered_by, committed_at";

fn build_from(row: &SqliteRow) -> StoreResult<Build> {
    let result: String = row.get("result");
    Ok(Build {
        service: row.get("service"),
        branch: row.get("branch"),
        sha: row.get("sha"),
        image_tag: row.get("image_tag"),
        result: BuildResult::parse(&result)
            .ok_or_else(|| StoreError(format!("unknown build result `{result}`")))?,
        finished_at: row.get("finished_at"),
        reported_by: row.get("reported_by"),
    })
}

fn commit_from(row: &SqliteRow) -> StoreResult<PipelineCommit> {
    let stage: String = row.get("stage");
    Ok(PipelineCommit {
        service: row.get("service"),
        sha: row.get("sha"),
        position: row.get("position"),
        author: row.get("author"),
        message: row.get("message"),
        committed_at: row.get("committed_at"),
        pushed_at: row.get("pushed_at"),
        stage: Stage::parse(&stage)
            .ok_or_else(|| StoreError(format!("unknown pipeline stage `{stage}`")))?,
        stage_at: row.get("stage_at"),
        built_at: row.get("built_at"),
        deploy_started_at: row.get("deploy_started_at"),
        deploy_ended_at: row.get("deploy_ended_at"),
        image_tag: row.get("image_tag"),
        note: row.get("note"),
    })
}

fn release_from(row: &SqliteRow) -> StoreResult<Release> {
    let outcome: String = row.get("outcome");
    let finished_at: Option<i64> = row.get("finished_at");
    let committed_at: Option<i64> = row.get("committed_at");
    let outcome = ReleaseOutcome::parse(&outcome)
        .ok_or_else(|| StoreError(format!("unknown release outcome `{outcome}`")))?;
    let lead_time_secs = match (outcome, finished_at, committed_at) {
        (ReleaseOutcome::Deployed, Some(done), Some(committed)) => Some(done - committed),
        _ => None,
    };
    Ok(Release {
        id: row.get("id"),
        service: row.get("service"),
        environment: row.get("environment"),
        sha: row.get("sha"),
        image_tag: row.get("image_tag"),
        started_at: row.get("started_at"),
        finished_at,
        outcome,
        trigger: row.get("trigger_kind"),
        triggered_by: row.get("triggered_by"),
        committed_at,
        lead_time_secs,
    })
}

#[async_trait::async_trait]
impl ReleaseStore for SqliteStore {
    async fn record_build(&self, build: &Build, received_at: i64) -> StoreResult<BuildStored> {
        // Two single statements rather than a read and a write in one
        // transaction: in WAL mode a transaction that read first cannot
        // write after another writer committed (SQLITE_BUSY_SNAPSHOT),
        // which concurrent webhooks made happen.
        // The tag is checked in the statement that inserts, so of two
        // reports racing for one tag only the first is stored.
        let inserted = sqlx::query(&format!(
            "INSERT OR IGNORE INTO builds ({BUILD_COLUMNS}, received_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
             WHERE NOT EXISTS (SELECT 1 FROM builds WHERE service = ?1 AND image_tag = ?4 AND sha != ?3)"
        ))
        .bind(&build.service)
        .bind(&build.branch)
        .bind(&build.sha)
        .bind(&build.image_tag)
        .bind(build.result.as_str())
        .bind(build.finished_at)
        .bind(&build.reported_by)
        .bind(received_at)
        .execute(self.pool())
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(BuildStored::New);
        }
        if let Some(other) = self
            .tag_taken(&build.service, &build.image_tag, &build.sha)
            .await?
        {
            return Ok(BuildStored::TagTaken(other));
        }
        // A report finished later than the stored one is a re-run.
        let changed = sqlx::query(
            "UPDATE builds SET result = ?, finished_at = ?, received_at = ?, reported_by = ?
             WHERE service = ? AND sha = ? AND image_tag = ? AND finished_at < ? AND result != ?",
        )
        .bind(build.result.as_str())
        .bind(build.finished_at)
        .bind(received_at)
        .bind(&build.reported_by)
        .bind(&build.service)
        .bind(&build.sha)
        .bind(&build.image_tag)
        .bind(build.finished_at)
        .bind(build.result.as_str())
        .execute(self.pool())
        .await?;
        Ok(if changed.rows_affected() == 1 {
            BuildStored::Changed
        } else {
            BuildStored::Unchanged
        })
    }

    async fn newest_green_build(&self, service: &str, branch: &str) -> StoreResult<Option<Build>> {
        let row = sqlx::query(&format!(
            "SELECT {BUILD_COLUMNS} FROM builds WHERE service = ? AND branch = ? AND result = 'success'
             ORDER BY finished_at DESC, id DESC LIMIT 1"
        ))
        .bind(service)
        .bind(branch)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(build_from).transpose()
    }

    async fn claim_delivery(
        &self,
        delivery: &str,
        event: &str,
        at: i64,
        stale_after: i64,
    ) -> StoreResult<bool> {
        // One statement: two processes claiming at once cannot both win.
        let done = sqlx::query(
            "INSERT INTO webhook_deliveries (delivery, event, received_at, handled)
             VALUES (?1, ?2, ?3, 0)
             ON CONFLICT (delivery) DO UPDATE SET received_at = excluded.received_at
             WHERE handled = 0 AND received_at < ?4",
        )
        .bind(delivery)
        .bind(event)
        .bind(at)
        .bind(at - stale_after)
        .execute(self.pool())
        .await?;
        // GitHub redelivers within days; older ids need not be kept, so
        // the table stays the size of a week of deliveries.
        sqlx::query("DELETE FROM webhook_deliveries WHERE received_at < ?")
            .bind(at - DELIVERIES_KEPT_SECS)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_run(&self, service: &str, run: &BuildRun, at: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO build_runs (service, sha, url, started_at, finished_at, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (service, sha) DO UPDATE SET
                 url = COALESCE(excluded.url, url),
                 -- GitHub does not deliver in order: an older start (the
                 -- first attempt's, late) does not replace a re-run's.
                 started_at = CASE
                     WHEN started_at IS NULL OR excluded.started_at > started_at
                     THEN COALESCE(excluded.started_at, started_at)
                     ELSE started_at END,
                 -- A run that starts again after it finished (a re-run) has
                 -- not finished; a late in-progress event of the finished
                 -- attempt changes nothing.
                 finished_at = CASE
                     WHEN excluded.started_at IS NOT NULL AND excluded.finished_at IS NULL
                          AND excluded.started_at > COALESCE(finished_at, started_at, -1) THEN NULL
                     ELSE COALESCE(excluded.finished_at, finished_at) END,
                 recorded_at = excluded.recorded_at",
        )
        .bind(service)
        .bind(&run.sha)
        .bind(&run.url)
        .bind(run.started_at)
        .bind(run.finished_at)
        .bind(at)
        .execute(self.pool())
        .await?;
        sqlx::query("DELETE FROM build_runs WHERE recorded_at < ?")
            .bind(at - RUNS_KEPT_SECS)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn runs_of(&self, service: &str, shas: &[String]) -> StoreResult<Vec<BuildRun>> {
        if shas.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; shas.len()].join(", ");
        let sql = format!(
            "SELECT sha, url, started_at, finished_at FROM build_runs WHERE service = ? AND sha IN ({marks})"
        );
        let mut query = sqlx::query(&sql).bind(service);
        for sha in shas {
            query = query.bind(sha);
        }
        let rows = query.fetch_all(self.pool()).await?;
        Ok(rows
            .iter()
            .map(|r| BuildRun {
                sha: r.get("sha"),
                url: r.get("url"),
                started_at: r.get("started_at"),
                finished_at: r.get("finished_at"),
            })
            .collect())
    }

    async fn delivery_handled(&self, delivery: &str) -> StoreResult<()> {
        sqlx::query("UPDATE webhook_deliveries SET handled = 1 WHERE delivery = ?")
            .bind(delivery)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn forget_delivery(&self, delivery: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM webhook_deliveries WHERE delivery = ?")
            .bind(delivery)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn add_pipeline_commits(&self, commits: &[PipelineCommit]) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for c in commits {
            sqlx::query(&format!(
                "INSERT OR IGNORE INTO pipeline_commits ({COMMIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ))
            .bind(&c.service)
            .bind(&c.sha)
            .bind(c.position)
            .bind(&c.author)
            .bind(&c.message)
            .bind(c.committed_at)
            .bind(c.pushed_at)
            .bind(c.stage.as_str())
            .bind(c.stage_at)
            .bind(c.built_at)
            .bind(c.deploy_started_at)
            .bind(c.deploy_ended_at)
            .bind(&c.image_tag)
            .bind(&c.note)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn pipeline_commit(
        &self,
        service: &str,
        sha: &str,
    ) -> StoreResult<Option<PipelineCommit>> {
        let row = sqlx::query(&format!(
            "SELECT {COMMIT_COLUMNS} FROM pipeline_commits WHERE service = ? AND sha = ?"
        ))
        .bind(service)
        .bind(sha)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(commit_from).transpose()
    }

    async fn pipeline_open(&self, service: &str) -> StoreResult<Vec<PipelineCommit>> {
        let rows = sqlx::query(&format!(
            "SELECT {COMMIT_COLUMNS} FROM pipeline_commits
             WHERE service = ?1 AND stage IN ('pushed', 'building', 'passed', 'deploying')
             UNION ALL
             SELECT * FROM (SELECT {COMMIT_COLUMNS} FROM pipeline_commits
                 WHERE service = ?1 AND stage IN ('deployed', 'deploy_failed')
                 ORDER BY position DESC LIMIT 1)"
        ))
        .bind(service)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(commit_from).collect()
    }

    async fn newest_deployed(&self, service: &str) -> StoreResult<Option<PipelineCommit>> {
        let row = sqlx::query(&format!(
            "SELECT {COMMIT_COLUMNS} FROM pipeline_commits WHERE service = ? AND stage = 'deployed'
             ORDER BY position DESC LIMIT 1"
        ))
        .bind(service)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(commit_from).transpose()
    }

    async fn pipeline(&self, service: &str, limit: u32) -> StoreResult<Vec<PipelineCommit>> {
        let rows = sqlx::query(&format!(
            "SELECT {COMMIT_COLUMNS} FROM pipeline_commits WHERE service = ?
             ORDER BY position DESC LIMIT ?"
        ))
        .bind(service)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(commit_from).collect()
    }

    async fn set_stage(
        &self,
        service: &str,
        sha: &str,
        stage: Stage,
        at: i64,
        image_tag: Option<&str>,
        note: &str,
    ) -> StoreResult<()> {
        // Each step's time is kept, for the durations the pipeline shows.
        let step = match stage {
            Stage::Passed | Stage::Failed => "built_at",
            Stage::Deploying => "deploy_started_at",
            Stage::Deployed | Stage::DeployFailed => "deploy_ended_at",
            _ => "stage_at",
        };
        sqlx::query(&format!(
            "UPDATE pipeline_commits SET stage = ?, stage_at = ?, {step} = ?, image_tag = COALESCE(?, image_tag), note = ?
             WHERE service = ? AND sha = ?"
        ))
        .bind(stage.as_str())
        .bind(at)
        .bind(at)
        .bind(image_tag)
        .bind(note)
        .bind(service)
        .bind(sha)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn start_release(&self, r: &NewRelease) -> StoreResult<i64> {
        insert_release(self, r, ReleaseOutcome::Deploying, None).await
    }

    async fn record_release(
        &self,
        release: &NewRelease,
        outcome: ReleaseOutcome,
        finished_at: i64,
    ) -> StoreResult<i64> {
        insert_release(self, release, outcome, Some(finished_at)).await
    }

    async fn count_releases(&self, environment: &str) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM releases WHERE environment = ?")
                .bind(environment)
                .fetch_one(self.pool())
                .await?,
        )
    }

    async fn finish_release(&self, id: i64, outcome: ReleaseOutcome, at: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE releases SET outcome = ?, finished_at = ? WHERE id = ? AND outcome = 'deploying'",
        )
        .bind(outcome.as_str())
        .bind(at)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn latest_release(
        &self,
        service: &str,
        environment: &str,
    ) -> StoreResult<Option<Release>> {
        let row = sqlx::query(&format!(
            "SELECT {RELEASE_COLUMNS} FROM releases WHERE service = ? AND environment = ?
             ORDER BY started_at DESC, id DESC LIMIT 1"
        ))
        .bind(service)
        .bind(environment)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(release_from).transpose()
    }

    async fn release(&self, id: i64) -> StoreResult<Option<Release>> {
        let row = sqlx::query(&format!(
            "SELECT {RELEASE_COLUMNS} FROM releases WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(release_from).transpose()
    }

    async fn fail_deployed_release(&self, id: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE releases SET outcome = 'failed' WHERE id = ? AND outcome = 'deployed'",
        )
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn deployed_releases(
        &self,
        service: &str,
        environment: &str,
        limit: u32,
    ) -> StoreResult<Vec<Release>> {
        // The newest release of each tag that was deployed.
        let rows = sqlx::query(&format!(
            "SELECT {RELEASE_COLUMNS} FROM releases WHERE id IN (
                 SELECT MAX(id) FROM releases
                 WHERE service = ? AND environment = ? AND outcome = 'deployed'
                 GROUP BY image_tag)
             ORDER BY finished_at DESC, id DESC LIMIT ?"
        ))
        .bind(service)
        .bind(environment)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(release_from).collect()
    }

    async fn green_branches(&self) -> StoreResult<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT DISTINCT service, branch FROM builds WHERE result = 'success'")
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("service"), r.get("branch")))
            .collect())
    }

    async fn green_build_of(
        &self,
        service: &str,
        branch: &str,
        sha: &str,
    ) -> StoreResult<Option<Build>> {
        let row = sqlx::query(&format!(
            "SELECT {BUILD_COLUMNS} FROM builds WHERE service = ? AND sha = ? AND branch = ? AND result = 'success'
             ORDER BY finished_at DESC, id DESC LIMIT 1"
        ))
        .bind(service)
        .bind(sha)
        .bind(branch)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(build_from).transpose()
    }

    async fn open_releases(&self) -> StoreResult<Vec<Release>> {
        let rows = sqlx::query(&format!(
            "SELECT {RELEASE_COLUMNS} FROM releases WHERE outcome = 'deploying' ORDER BY id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(release_from).collect()
    }

    async fn each_finished_release(
        &self,
        environment: &str,
        each: &mut (dyn for<'s> FnMut(&'s str, i64, bool, Option<i64>) + Send),
    ) -> StoreResult<usize> {
        use futures::TryStreamExt;
        let mut rows = sqlx::query(
            "SELECT service, finished_at, outcome, committed_at FROM releases
             WHERE environment = ? AND outcome IN ('deployed', 'failed') AND finished_at IS NOT NULL",
        )
        .bind(environment)
        .fetch(self.pool());
        let mut count = 0;
        while let Some(row) = rows.try_next().await? {
            let finished_at: i64 = row.get("finished_at");
            let deployed = row.get::<&str, _>("outcome") == "deployed";
            let committed_at: Option<i64> = row.get("committed_at");
            let lead_time = committed_at.filter(|_| deployed).map(|c| finished_at - c);
            let service: String = row.get("service");
            each(&service, finished_at, deployed, lead_time);
            count += 1;
        }
        Ok(count)
    }

    async fn releases(&self, environment: &str, limit: u32) -> StoreResult<Vec<Release>> {
        let rows = sqlx::query(&format!(
            "SELECT {RELEASE_COLUMNS} FROM releases WHERE environment = ?
             ORDER BY started_at DESC, id DESC LIMIT ?"
        ))
        .bind(environment)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(release_from).collect()
    }

    async fn enqueue_markers(&self, markers: &[NewMarker], at: i64) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for m in markers {
            sqlx::query(
                "INSERT INTO deploy_markers (release_id, sink, service, image_tag, payload, state, next_at, created_at)
                 VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
            )
            .bind(m.release_id)
            .bind(&m.sink)
            .bind(&m.service)
            .bind(&m.image_tag)
            .bind(&m.payload)
            .bind(at)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn due_markers(&self, now: i64, limit: u32) -> StoreResult<Vec<Marker>> {
        let rows = sqlx::query(
            "SELECT id, sink, payload, attempts FROM deploy_markers
             WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| Marker {
                id: r.get("id"),
                sink: r.get("sink"),
                payload: r.get("payload"),
                attempts: r.get::<i64, _>("attempts") as u32,
            })
            .collect())
    }

    async fn marker_sent(&self, id: i64, at: i64) -> StoreResult<()> {
        sqlx::query("UPDATE deploy_markers SET state = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?")
            .bind(at)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn marker_failed(
        &self,
        id: i64,
        attempts: u32,
        next_at: Option<i64>,
        error: &str,
    ) -> StoreResult<()> {
        let error: String = error.chars().take(300).collect();
        sqlx::query(
            "UPDATE deploy_markers SET state = ?, attempts = ?, next_at = COALESCE(?, next_at), last_error = ?
             WHERE id = ?",
        )
        .bind(if next_at.is_some() { "pending" } else { "failed" })
        .bind(i64::from(attempts))
        .bind(next_at)
        .bind(error)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn marker_problems(&self, since: i64, limit: u32) -> StoreResult<Vec<MarkerProblem>> {
        let rows = sqlx::query(
            "SELECT sink, service, image_tag, attempts, last_error, state, next_at, created_at
             FROM deploy_markers WHERE state != 'sent' AND attempts > 0 AND created_at >= ?
             ORDER BY id DESC LIMIT ?",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| MarkerProblem {
                sink: r.get("sink"),
                service: r.get("service"),
                image_tag: r.get("image_tag"),
                attempts: r.get::<i64, _>("attempts") as u32,
                error: r.get("last_error"),
                next_at: (r.get::<&str, _>("state") == "pending").then(|| r.get("next_at")),
                created_at: r.get("created_at"),
            })
            .collect())
    }
}

async fn insert_release(
    store: &SqliteStore,
    r: &NewRelease,
    outcome: ReleaseOutcome,
    finished_at: Option<i64>,
) -> StoreResult<i64> {
    let done = sqlx::query(
        "INSERT INTO releases (service, environment, sha, image_tag, started_at, finished_at, outcome, trigger_kind, triggered_by, committed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&r.service)
    .bind(&r.environment)
    .bind(&r.sha)
    .bind(&r.image_tag)
    .bind(r.started_at)
    .bind(finished_at)
    .bind(outcome.as_str())
    .bind(&r.trigger)
    .bind(&r.triggered_by)
    .bind(r.committed_at)
    .execute(store.pool())
    .await?;
    Ok(done.last_insert_rowid())
}

impl SqliteStore {
    /// Whether a webhook delivery is remembered (claimed or handled).
    #[cfg(test)]
    pub(crate) async fn delivery_seen(&self, delivery: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 FROM webhook_deliveries WHERE delivery = ?")
            .bind(delivery)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    /// Another commit a build of `service` was already reported for under
    /// `image_tag`, if any.
    pub(crate) async fn tag_taken(
        &self,
        service: &str,
        image_tag: &str,
        sha: &str,
    ) -> StoreResult<Option<String>> {
        let row = sqlx::query(
            "SELECT sha FROM builds WHERE service = ? AND image_tag = ? AND sha != ? LIMIT 1",
        )
        .bind(service)
        .bind(image_tag)
        .bind(sha)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.get("sha")))
    }
}
