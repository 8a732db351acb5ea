//! The addresses the pages link to, with their query strings encoded.

use crate::model::AuditQuery;

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

/// The audit page with `query`'s filters, older than `before` when given.
pub fn audit_href(query: &AuditQuery, before: Option<i64>) -> String {
    let mut params = Vec::new();
    for (key, value) in [
        ("actor", &query.actor),
        ("action", &query.action),
        ("outcome", &query.outcome),
        ("target", &query.target),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            params.push(format!("{key}={}", encode_query(value)));
        }
    }
    if let Some(limit) = query.limit {
        params.push(format!("limit={limit}"));
    }
    if let Some(before) = before {
        params.push(format!("before={before}"));
    }
    if params.is_empty() {
        "/audit".into()
    } else {
        format!("/audit?{}", params.join("&"))
    }
}

/// The promotion form prefilled with one service's branch.
pub fn promote_href(environment: &str, service: &str, branch: &str) -> String {
    format!(
        "/promote?env={}&svc.{}={}",
        encode_query(environment),
        encode_query(service),
        encode_query(branch)
    )
}

/// The promotion form prefilled with several services' branches: a
/// project's promotion, one commit.
pub fn project_promote_href(environment: &str, pairs: &[(String, String)]) -> String {
    let mut href = format!("/promote?env={}", encode_query(environment));
    for (service, branch) in pairs {
        href.push_str(&format!(
            "&svc.{}={}",
            encode_query(service),
            encode_query(branch)
        ));
    }
    href
}

/// A link on a grid cell that opens the promotion form prefilled.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortcut {
    pub label: String,
    pub href: String,
}

/// The shortcuts of one cell: "→ Stg-1" for each Stg the person may write
/// that runs something else, and on such a Stg, "copy Dev's branch".
/// `row` maps each environment of the service's row to its branch.
pub fn cell_shortcuts(
    service: &str,
    cell_environment: &str,
    branch: &str,
    row: &[(String, Option<String>)],
    stg_targets: &[(String, String)],
    dev: Option<(&str, &str)>,
) -> Vec<Shortcut> {
    let branch_in = |env: &str| {
        row.iter()
            .find(|(e, _)| e == env)
            .and_then(|(_, b)| b.as_deref())
    };
    let mut links: Vec<Shortcut> = stg_targets
        .iter()
        .filter(|(env, _)| env != cell_environment && branch_in(env) != Some(branch))
        .map(|(env, title)| Shortcut {
            label: format!("→ {title}"),
            href: promote_href(env, service, branch),
        })
        .collect();
    let here_writable = stg_targets.iter().any(|(env, _)| env == cell_environment);
    if let (true, Some((dev_name, dev_title))) = (here_writable, dev) {
        if let Some(dev_branch) = branch_in(dev_name).filter(|b| *b != branch) {
            links.push(Shortcut {
                label: format!("copy {dev_title}'s branch"),
                href: promote_href(cell_environment, service, dev_branch),
            });
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query("feature/x-1_a.b~c"), "feature/x-1_a.b~c");
        assert_eq!(encode_query("a b&c=d?e#f+"), "a%20b%26c%3Dd%3Fe%23f%2B");
        assert_eq!(encode_query("é"), "%C3%A9", "each UTF-8 byte is encoded");
    }

    #[test]
    fn overview_hrefs_keep_filters_and_encode() {
        assert_eq!(overview_href("", "", None), "/");
        assert_eq!(
            overview_href("app-a", "", Some("feature/x y")),
            "/?service=app-a&highlight=feature/x%20y"
        );
        assert_eq!(
            overview_href("app-a", "feat&", None),
            "/?service=app-a&branch=feat%26"
        );
    }

    #[test]
    fn audit_paging_links_keep_the_filters() {
        let query = AuditQuery {
            actor: Some("ann lee".into()),
            outcome: Some("refused".into()),
            target: Some(String::new()),
            before: Some(40),
            ..Default::default()
        };
        assert_eq!(
            audit_href(&query, Some(12)),
            "/audit?actor=ann%20lee&outcome=refused&before=12"
        );
        assert_eq!(
            audit_href(&query, None),
            "/audit?actor=ann%20lee&outcome=refused"
        );
        let limited = AuditQuery {
            action: Some("promote".into()),
            limit: Some(20),
            ..Default::default()
        };
        assert_eq!(
            audit_href(&limited, Some(5)),
            "/audit?action=promote&limit=20&before=5"
        );
        assert_eq!(audit_href(&AuditQuery::default(), None), "/audit");
    }

    fn row() -> Vec<(String, Option<String>)> {
        vec![
            ("prod".into(), Some("main".into())),
            ("stg-1".into(), Some("feature-x".into())),
            ("stg-2".into(), Some("main".into())),
            ("dev".into(), Some("feature-y".into())),
        ]
    }

    fn stgs() -> Vec<(String, String)> {
        vec![
            ("stg-1".into(), "Stg-1".into()),
            ("stg-2".into(), "Stg-2".into()),
        ]
    }

    #[test]
    fn a_dev_cell_offers_each_stg_not_running_it() {
        let links = cell_shortcuts(
            "app-a",
            "dev",
            "feature-y",
            &row(),
            &stgs(),
            Some(("dev", "Dev")),
        );
        let labels: Vec<_> = links.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["→ Stg-1", "→ Stg-2"]);
        assert_eq!(links[0].href, "/promote?env=stg-1&svc.app-a=feature-y");
    }

    #[test]
    fn a_stg_already_running_the_branch_is_not_offered() {
        let links = cell_shortcuts(
            "app-a",
            "prod",
            "main",
            &row(),
            &stgs(),
            Some(("dev", "Dev")),
        );
        let labels: Vec<_> = links.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["→ Stg-1"], "stg-2 runs main already");
    }

    #[test]
    fn a_stg_cell_offers_the_other_stg_and_copying_dev() {
        let links = cell_shortcuts(
            "app-a",
            "stg-2",
            "main",
            &row(),
            &stgs(),
            Some(("dev", "Dev")),
        );
        let labels: Vec<_> = links.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["→ Stg-1", "copy Dev's branch"]);
        assert_eq!(links[1].href, "/promote?env=stg-2&svc.app-a=feature-y");
    }

    #[test]
    fn nobody_may_write_means_no_links() {
        assert!(cell_shortcuts(
            "app-a",
            "dev",
            "feature-y",
            &row(),
            &[],
            Some(("dev", "Dev"))
        )
        .is_empty());
    }

    #[test]
    fn branch_names_are_escaped_in_links() {
        assert_eq!(
            promote_href("stg-1", "app-a", "feat/a&b"),
            "/promote?env=stg-1&svc.app-a=feat/a%26b"
        );
    }
}
