//! Where Berth keeps its own bare repositories inside the data dir.

use std::path::PathBuf;

use crate::config::{Config, RepositoryConfig};

/// The read model's bare mirror of a repository.
pub fn mirror_dir(config: &Config, repo: &RepositoryConfig) -> PathBuf {
    repo_dir(config, repo, "repos")
}

/// The writer's bare repository for `repo`, apart from the mirror so
/// fetches of one never collide with the other.
pub fn writer_dir(config: &Config, repo: &RepositoryConfig) -> PathBuf {
    repo_dir(config, repo, "writes")
}

/// A bare mirror of a service's source repository, for its history.
pub fn source_dir(config: &Config, service: &str) -> PathBuf {
    named_dir(config, service, "sources")
}

/// A bare repository of Berth's own for `repo`, under `data_dir/<area>`;
/// the name is made safe for a path whatever the config says.
fn repo_dir(config: &Config, repo: &RepositoryConfig, area: &str) -> PathBuf {
    named_dir(config, &repo.name, area)
}

fn named_dir(config: &Config, name: &str, area: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    config.data_dir.join(area).join(format!("{safe}.git"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_cannot_leave_the_data_dir() {
        let config = Config::from_toml(
            "data_dir = \"/data\"\n[[repositories]]\nname = \"../../etc/x\"\nurl = \"u\"\n",
        )
        .unwrap();
        let repo = &config.repositories[0];
        assert_eq!(
            mirror_dir(&config, repo),
            PathBuf::from("/data/repos/------etc-x.git")
        );
        assert_eq!(
            writer_dir(&config, repo),
            PathBuf::from("/data/writes/------etc-x.git")
        );
    }
}
