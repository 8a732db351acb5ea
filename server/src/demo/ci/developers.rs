//! The demo's developers: every so often one of them commits to a
//! service's source repository, mostly to its default branch (a prod
//! release follows), sometimes to a branch Dev or Stg runs. Now and then
//! a commit breaks the build ("flaky"), or two land close together and
//! the newer one overtakes the older on its way to prod.

use std::time::Duration;

use super::{sources, Source};
use crate::{
    clock::unix_now,
    config::Config,
    demo::content::{Rng, PEOPLE, WORK},
};

/// The subject of a commit whose build fails.
const FLAKY: &str = "Flaky: rework the upload test";

/// Commits every `every` (give or take a third); never when zero.
pub fn spawn(config: &Config, every: Duration) {
    if every.is_zero() {
        return;
    }
    let sources = sources(config);
    if sources.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let mut dice = Rng(0x9e37_79b9_7f4a_7c15);
        loop {
            let jitter = every.as_millis() as usize / 3;
            let wait = every.as_millis() as usize - jitter + dice.below(2 * jitter + 1);
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
            let source = &sources[dice.below(sources.len())];
            let branch = pick_branch(source, &mut dice).await;
            let twice = dice.below(5) == 0;
            for _ in 0..if twice { 2 } else { 1 } {
                let subject = match dice.below(7) {
                    0 => FLAKY,
                    _ => WORK[dice.below(WORK.len())],
                };
                let (handle, name) = PEOPLE[dice.below(PEOPLE.len())];
                if let Err(error) = commit(source, &branch, subject, (name, handle)).await {
                    tracing::warn!(%error, service = %source.service.name, "a demo commit failed");
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    });
}

/// Mostly the default branch; now and then a team branch (not a spike:
/// those are promoted by people, to show a bad release).
async fn pick_branch(source: &Source, dice: &mut Rng) -> String {
    let default = source.service.default_branch.clone();
    if dice.below(4) != 0 {
        return default;
    }
    let heads = source.git.branch_heads().await.unwrap_or_default();
    let mut others: Vec<&String> = heads
        .keys()
        .filter(|b| **b != default && !b.starts_with("spike-"))
        .collect();
    // The same story on every start: not the hash map's order.
    others.sort();
    match others.len() {
        0 => default,
        n => others[dice.below(n)].to_string(),
    }
}

/// A commit on top of `branch`, with the same files: the demo's builds
/// care about commits, not contents.
pub async fn commit(
    source: &Source,
    branch: &str,
    subject: &str,
    (name, handle): (&str, &str),
) -> Result<String, String> {
    let git = &source.git;
    let parent = git
        .rev_parse(&format!("refs/heads/{branch}"))
        .await
        .map_err(|e| e.to_string())?;
    let email = format!("{handle}@photos.example");
    let date = format!("{} +0000", unix_now());
    let env = [
        ("GIT_AUTHOR_NAME", name),
        ("GIT_AUTHOR_EMAIL", email.as_str()),
        ("GIT_AUTHOR_DATE", date.as_str()),
        ("GIT_COMMITTER_NAME", name),
        ("GIT_COMMITTER_EMAIL", email.as_str()),
        ("GIT_COMMITTER_DATE", date.as_str()),
    ];
    let tree = format!("{parent}^{{tree}}");
    let sha = git
        .run_with(
            &["commit-tree", &tree, "-p", &parent, "-m", subject],
            &env,
            None,
        )
        .await
        .map_err(|e| e.to_string())?
        .trim()
        .to_string();
    git.run(&["update-ref", &format!("refs/heads/{branch}"), &sha, &parent])
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(service = %source.service.name, %branch, %subject, "a demo developer pushed");
    Ok(sha)
}
