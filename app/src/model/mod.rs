//! The types that cross the wire between the server and the browser.

use serde::{Deserialize, Serialize};

mod writes;
pub use writes::*;

/// What every page shows at the top: how fresh the data is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Freshness {
    /// Server time when the page data was made, so ages render the same on
    /// both sides of hydration.
    pub now: i64,
    pub banner: Option<String>,
    pub sources: Vec<Source>,
    pub problem_count: usize,
}

/// One GitOps repository as last read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub repository: String,
    pub branch: String,
    pub commit: String,
    pub fetched_at: i64,
    /// Set when the latest refresh failed; the data shown is then older.
    pub error: Option<String>,
}

/// A commit that changed something, as indexed from git history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub commit: String,
    pub author: String,
    pub email: String,
    pub at: i64,
    pub subject: String,
}

/// Something wrong in a GitOps file, shown next to everything that works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileProblem {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// What an environment is for; `kind = "stg"` in berth.toml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvironmentKind {
    Prod,
    Stg,
    Dev,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentSummary {
    pub name: String,
    pub title: String,
    pub kind: EnvironmentKind,
    pub file: Option<String>,
    pub deployed: usize,
    /// Services running something else than their default branch.
    pub off_default: usize,
    /// Keys of the file that name no configured service.
    pub unknown: Vec<String>,
    pub last_change: Option<Change>,
    pub problems: Vec<FileProblem>,
}

/// One service in one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub environment: String,
    pub branch: Option<String>,
    pub branch_url: Option<String>,
    pub is_default: bool,
    pub last_change: Option<Change>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRow {
    pub service: String,
    pub default_branch: String,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxLane {
    pub count: usize,
    pub owners: usize,
    pub newest: Vec<SandboxSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub freshness: Freshness,
    pub environments: Vec<EnvironmentSummary>,
    pub sandboxes: SandboxLane,
    pub rows: Vec<ServiceRow>,
    pub total_services: usize,
    pub problems: Vec<FileProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvEntry {
    pub service: String,
    pub branch: String,
    pub branch_url: Option<String>,
    /// False when the key names no configured service.
    pub known: bool,
    pub is_default: bool,
    pub last_change: Option<Change>,
}

/// One line of an environment file's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvHistoryEntry {
    pub change: Change,
    pub service: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentDetail {
    pub freshness: Freshness,
    pub summary: EnvironmentSummary,
    pub entries: Vec<EnvEntry>,
    pub not_deployed: Vec<String>,
    pub history: Vec<EnvHistoryEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyFingerprint {
    /// Exactly as `ssh-keygen -lf` prints it.
    pub line: String,
    pub fingerprint: String,
    pub algorithm: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxSummary {
    pub name: String,
    pub owner: Option<String>,
    pub file: String,
    pub url: String,
    pub ssh: String,
    pub keys: Vec<KeyFingerprint>,
    pub created: Option<Change>,
    pub problems: Vec<FileProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxList {
    pub freshness: Freshness,
    pub sandboxes: Vec<SandboxSummary>,
    pub total: usize,
    pub problems: Vec<FileProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxDetail {
    pub freshness: Freshness,
    pub sandbox: SandboxSummary,
    pub history: Vec<Change>,
}

/// "3 min ago" from two unix times.
pub fn ago(now: i64, then: i64) -> String {
    let secs = (now - then).max(0);
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// "in 3 d" from two unix times; for what ends in the future.
pub fn until(now: i64, then: i64) -> String {
    let secs = (then - now).max(0);
    match secs {
        0..=3599 => format!("in {} min", secs / 60),
        3600..=86_399 => format!("in {} h", secs / 3600),
        _ => format!("in {} d", secs / 86_400),
    }
}

pub fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(ago(100, 100), "0 s ago");
        assert_eq!(ago(100, 40), "60 s ago".replace("60 s", "1 min"));
        assert_eq!(ago(10_000, 0), "2 h ago");
        assert_eq!(ago(200_000, 0), "2 d ago");
        assert_eq!(
            ago(0, 50),
            "0 s ago",
            "clock skew never shows a negative age"
        );
        assert_eq!(until(0, 90 * 86_400), "in 90 d");
        assert_eq!(until(0, 7_200), "in 2 h");
        assert_eq!(until(100, 0), "in 0 min");
    }
}

/// The grid rows the overview filter keeps: `service` must match exactly
/// when given, and some cell's branch must contain `branch` (any case).
pub fn filter_rows(rows: &[ServiceRow], service: &str, branch: &str) -> Vec<ServiceRow> {
    let branch = branch.trim().to_lowercase();
    rows.iter()
        .filter(|row| service.is_empty() || row.service == service)
        .filter(|row| {
            branch.is_empty()
                || row.cells.iter().any(|c| {
                    c.branch
                        .as_deref()
                        .is_some_and(|b| b.to_lowercase().contains(&branch))
                })
        })
        .cloned()
        .collect()
}

/// Percent-encodes a query value.
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The overview's address with its filters and highlighted branch.
pub fn overview_href(service: &str, branch: &str, highlight: Option<&str>) -> String {
    let mut params = Vec::new();
    if !service.is_empty() {
        params.push(format!("service={}", encode_query(service)));
    }
    if !branch.is_empty() {
        params.push(format!("branch={}", encode_query(branch)));
    }
    if let Some(h) = highlight {
        params.push(format!("highlight={}", encode_query(h)));
    }
    if params.is_empty() {
        "/".into()
    } else {
        format!("/?{}", params.join("&"))
    }
}

#[cfg(test)]
mod filter_tests {
    use super::*;

    fn row(service: &str, branches: &[&str]) -> ServiceRow {
        ServiceRow {
            service: service.into(),
            default_branch: "main".into(),
            cells: branches
                .iter()
                .map(|b| Cell {
                    environment: "dev".into(),
                    branch: Some(b.to_string()),
                    branch_url: None,
                    is_default: false,
                    last_change: None,
                })
                .collect(),
        }
    }

    #[test]
    fn filters_by_service_and_branch_text() {
        let rows = [
            row("app-a", &["main", "feature-Login"]),
            row("app-b", &["main"]),
        ];
        assert_eq!(filter_rows(&rows, "", "").len(), 2);
        assert_eq!(filter_rows(&rows, "app-b", "")[0].service, "app-b");
        assert_eq!(filter_rows(&rows, "", "login")[0].service, "app-a");
        assert!(filter_rows(&rows, "app-b", "login").is_empty());
    }

    #[test]
    fn hrefs_keep_filters_and_encode() {
        assert_eq!(overview_href("", "", None), "/");
        assert_eq!(
            overview_href("app-a", "", Some("feature/x y")),
            "/?service=app-a&highlight=feature/x%20y"
        );
    }
}
