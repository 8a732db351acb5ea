//! `berth demo init`: a believable GitOps repository (real git, about 60
//! days of history by several people) and a config that points at it;
//! `berth serve` of the demo also starts its clusters (`start_clusters`)
//! and its CI (`ci`).
//! Nothing else in Berth knows that it is looking at a demo.

pub mod ci;
pub mod cluster;
pub(crate) mod content;
mod serve;
pub mod sharing;

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use crate::config::demo_config_path;
pub use content::{DemoSize, History};
pub use serve::{start_clusters, DemoClusters};

/// Creates the demo under `data_dir/demo`. Refuses to overwrite an existing
/// demo unless `force`; returns the config path.
pub fn init(data_dir: &Path, size: &DemoSize, force: bool, now: i64) -> Result<PathBuf, String> {
    let demo_dir = data_dir.join("demo");
    let config_path = demo_config_path(data_dir);
    if config_path.exists() && !force {
        return Err(format!(
            "a demo already exists at {} (use --force to recreate it)",
            demo_dir.display()
        ));
    }
    if demo_dir.exists() {
        std::fs::remove_dir_all(&demo_dir)
            .map_err(|e| format!("cannot remove the old demo: {e}"))?;
        // The old mirror and history index belong to the old demo.
        let _ = std::fs::remove_dir_all(data_dir.join("repos"));
        let _ = std::fs::remove_dir_all(data_dir.join("writes"));
        for db in ["berth.db", "berth.db-wal", "berth.db-shm"] {
            let _ = std::fs::remove_file(data_dir.join(db));
        }
    }
    std::fs::create_dir_all(&demo_dir)
        .map_err(|e| format!("cannot create {}: {e}", demo_dir.display()))?;
    let repo = demo_dir.join("gitops.git");
    let repo = std::path::absolute(&repo).map_err(|e| e.to_string())?;
    let history = History::generate(size, now);
    write_repository(&repo, &history.fast_import_stream())?;
    let sources = std::path::absolute(demo_dir.join("sources")).map_err(|e| e.to_string())?;
    for (service, branches) in history.source_branches() {
        let stream = History::source_stream(&service, &branches, now - 90 * 86_400, size.days, now);
        write_repository(&sources.join(format!("{service}.git")), &stream)?;
    }
    let kubeconfig = std::path::absolute(demo_dir.join("kubeconfig")).map_err(|e| e.to_string())?;
    // The secret the demo's CI signs its webhook deliveries with.
    let secret = std::path::absolute(demo_dir.join("webhook-secret")).map_err(|e| e.to_string())?;
    std::fs::write(&secret, crate::auth::new_secret()?)
        .map_err(|e| format!("cannot write {}: {e}", secret.display()))?;
    std::fs::write(
        &config_path,
        history.config_toml(&repo, &sources, &kubeconfig, &secret),
    )
    .map_err(|e| format!("cannot write {}: {e}", config_path.display()))?;
    Ok(config_path)
}

fn git(args: &[&str]) -> Result<(), String> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {} failed: {}",
            args[0],
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// One `git fast-import` run writes the whole history: hundreds of commits
/// with their real dates in well under a second.
fn write_repository(repo: &Path, stream: &[u8]) -> Result<(), String> {
    let dir = repo.to_string_lossy();
    git(&["init", "--quiet", "--bare", "--initial-branch=main", &dir])?;
    let mut child = Command::new("git")
        .args(["-C", &dir, "fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git fast-import: {e}"))?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stream)
        .map_err(|e| format!("git fast-import: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("git fast-import: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git fast-import failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}
