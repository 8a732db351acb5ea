//! The overview grid's filter.

use crate::model::ServiceRow;

/// The grid rows the overview filter keeps: `service` must match exactly
/// when given, some cell's branch must contain `branch` (any case), and
/// with `problems_only` some cell's live state must be a problem.
pub fn filter_rows(
    rows: &[ServiceRow],
    service: &str,
    branch: &str,
    problems_only: bool,
) -> Vec<ServiceRow> {
    let branch = branch.trim().to_lowercase();
    rows.iter()
        .filter(|row| service.is_empty() || row.service == service)
        .filter(|row| {
            !problems_only
                || row
                    .cells
                    .iter()
                    .any(|c| c.live.as_ref().is_some_and(|l| l.is_problem()))
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cell, LiveStatus};

    fn row(service: &str, branches: &[Option<&str>]) -> ServiceRow {
        ServiceRow {
            service: service.into(),
            cells: branches
                .iter()
                .map(|b| Cell {
                    environment: "dev".into(),
                    branch: b.map(str::to_string),
                    branch_url: None,
                    is_default: false,
                    last_change: None,
                    live: None,
                    held: None,
                })
                .collect(),
        }
    }

    fn services(rows: &[ServiceRow]) -> Vec<&str> {
        rows.iter().map(|r| r.service.as_str()).collect()
    }

    #[test]
    fn filters_by_service_and_branch_text() {
        let rows = [
            row("app-a", &[Some("main"), Some("feature-Login")]),
            row("app-b", &[Some("main"), None]),
        ];
        assert_eq!(
            services(&filter_rows(&rows, "", "", false)),
            ["app-a", "app-b"]
        );
        assert_eq!(services(&filter_rows(&rows, "app-b", "", false)), ["app-b"]);
        assert_eq!(services(&filter_rows(&rows, "", "login", false)), ["app-a"]);
        assert_eq!(
            services(&filter_rows(&rows, "", "  LOGIN ", false)),
            ["app-a"],
            "the branch text is trimmed and matched in any case"
        );
        assert!(filter_rows(&rows, "app-b", "login", false).is_empty());
        assert!(
            filter_rows(&rows, "app", "", false).is_empty(),
            "the service must match exactly"
        );
        assert_eq!(
            services(&filter_rows(&rows, "", "main", false)),
            ["app-a", "app-b"]
        );
    }

    #[test]
    fn problems_only_keeps_rows_with_a_live_problem() {
        let mut rows = vec![row("app-a", &[Some("main")]), row("app-b", &[Some("main")])];
        rows[1].cells[0].live = Some(LiveStatus {
            found: true,
            sync: "Synced".into(),
            health: "Degraded".into(),
            drift: vec!["Degraded: CrashLoopBackOff".into()],
            ..LiveStatus::default()
        });
        assert_eq!(services(&filter_rows(&rows, "", "", true)), ["app-b"]);
        rows[1].cells[0].live.as_mut().unwrap().drift.clear();
        assert!(filter_rows(&rows, "", "", true).is_empty());
    }
}
