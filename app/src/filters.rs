//! The overview grid's filter.

use crate::model::ServiceRow;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Cell;

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
        assert_eq!(services(&filter_rows(&rows, "", "")), ["app-a", "app-b"]);
        assert_eq!(services(&filter_rows(&rows, "app-b", "")), ["app-b"]);
        assert_eq!(services(&filter_rows(&rows, "", "login")), ["app-a"]);
        assert_eq!(
            services(&filter_rows(&rows, "", "  LOGIN ")),
            ["app-a"],
            "the branch text is trimmed and matched in any case"
        );
        assert!(filter_rows(&rows, "app-b", "login").is_empty());
        assert!(
            filter_rows(&rows, "app", "").is_empty(),
            "the service must match exactly"
        );
        assert_eq!(
            services(&filter_rows(&rows, "", "main")),
            ["app-a", "app-b"]
        );
    }
}
