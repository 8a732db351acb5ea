//! Branch names of each service's source repository, from `git ls-remote`,
//! cached for a minute and refreshed on demand (or when a name is missing).

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use tokio::sync::Mutex;

use crate::{
    config::{Credentials, ServiceConfig},
    gitops::git::Git,
};

const FRESH_FOR: Duration = Duration::from_secs(60);

pub struct BranchCache {
    lists: Mutex<HashMap<String, (Instant, Vec<String>)>>,
    git_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BranchCheck {
    Exists,
    Missing,
    /// The service has no `git_url`, so only the name rules were checked.
    Unknown,
}

impl BranchCache {
    pub fn new(git_timeout: Duration) -> BranchCache {
        BranchCache {
            lists: Mutex::default(),
            git_timeout,
        }
    }

    /// The service's branches, sorted; empty when it has no `git_url`.
    pub async fn list(&self, service: &ServiceConfig, fresh: bool) -> Result<Vec<String>, String> {
        let Some(url) = &service.git_url else {
            return Ok(Vec::new());
        };
        if !fresh {
            if let Some((at, list)) = self.lists.lock().await.get(&service.name) {
                if at.elapsed() < FRESH_FOR {
                    return Ok(list.clone());
                }
            }
        }
        let list = ls_remote(url, &service.credentials, self.git_timeout)
            .await
            .map_err(|err| format!("cannot list the branches of {}: {err}", service.name))?;
        self.lists
            .lock()
            .await
            .insert(service.name.clone(), (Instant::now(), list.clone()));
        Ok(list)
    }

    /// Whether `branch` exists, asking the repository again before saying no.
    pub async fn check(
        &self,
        service: &ServiceConfig,
        branch: &str,
    ) -> Result<BranchCheck, String> {
        if service.git_url.is_none() {
            return Ok(BranchCheck::Unknown);
        }
        for fresh in [false, true] {
            if self.list(service, fresh).await?.iter().any(|b| b == branch) {
                return Ok(BranchCheck::Exists);
            }
        }
        Ok(BranchCheck::Missing)
    }
}

async fn ls_remote(
    url: &str,
    credentials: &Credentials,
    timeout: Duration,
) -> Result<Vec<String>, String> {
    // `ls-remote` needs no repository; run it from the temp dir.
    let git = Git::new(std::env::temp_dir(), credentials.clone()).with_timeout(timeout);
    let out = git
        .run(&["ls-remote", "--heads", url])
        .await
        .map_err(|e| e.message)?;
    let mut branches: Vec<String> = out
        .lines()
        .filter_map(|line| line.split('\t').nth(1))
        .filter_map(|r| r.strip_prefix("refs/heads/"))
        .map(str::to_string)
        .collect();
    branches.sort();
    Ok(branches)
}
