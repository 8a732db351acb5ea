use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::components::Loaded;
use crate::{
    api::get_audit,
    model::{short_sha, AuditEntry, AuditLogPage, AuditQuery},
};

/// Every write attempt made through Berth, newest first, a page at a time.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |key: &str| query.read().get(key).filter(|v| !v.is_empty());
    let number = move |key: &str| field(key).and_then(|v| v.parse::<i64>().ok());
    let audit_query = move || AuditQuery {
        actor: field("actor"),
        action: field("action"),
        outcome: field("outcome"),
        target: field("target"),
        before: number("before"),
        limit: number("limit"),
    };
    let entries = Resource::new(audit_query, get_audit);
    let text = move |key: &'static str| move || field(key).unwrap_or_default();
    view! {
        <Title text="Audit log"/>
        <h1>"Audit log"</h1>
        <Form method="GET" action="/audit" attr:class="filters">
            <label>"Who " <input type="search" name="actor" value=text("actor")/></label>
            <label>
                "Action "
                <select name="action">
                    {["", "promote", "promote-project", "create-sandbox", "delete-sandbox"]
                        .into_iter()
                        .map(|a| view! { <option value=a selected=move || field("action").as_deref() == Some(a)>{if a.is_empty() { "any" } else { a }}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Outcome "
                <select name="outcome">
                    {["", "committed", "unchanged", "refused", "failed", "accepted"]
                        .into_iter()
                        .map(|o| view! { <option value=o selected=move || field("outcome").as_deref() == Some(o)>{if o.is_empty() { "any" } else { o }}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>"Target " <input type="search" name="target" value=text("target")/></label>
            <button type="submit">"Filter"</button>
        </Form>
        <Loaded
            data=entries
            render=move |page: AuditLogPage| {
                let query = audit_query();
                view! {
                    <AuditTable entries=page.entries/>
                    <Paging query next_before=page.next_before/>
                }
            }
        />
    }
}

/// Plain links, so paging works without JavaScript; the filters stay.
#[component]
fn Paging(query: AuditQuery, next_before: Option<i64>) -> impl IntoView {
    let newest = query.before.is_some().then(|| query.href(None));
    let older = next_before.map(|before| query.href(Some(before)));
    view! {
        <nav class="paging">
            {newest.map(|href| view! { <a href=href rel="first">"← Newest entries"</a> " " })}
            {older.map(|href| view! { <a href=href rel="next" class="older">"Older entries →"</a> })}
        </nav>
    }
}

#[component]
fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="empty">"Nothing recorded matches."</p> }.into_any();
    }
    view! {
        <table class="audit">
            <thead>
                <tr>
                    <th scope="col">"When (UTC)"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"Action"</th>
                    <th scope="col">"Target"</th>
                    <th scope="col">"Outcome"</th>
                    <th scope="col">"Commit"</th>
                    <th scope="col">"From"</th>
                </tr>
            </thead>
            <tbody>
                {entries
                    .into_iter()
                    .map(|e| {
                        let class = format!("audit-row {}", e.outcome);
                        let outcome = e.outcome.clone();
                        let commit = e.commit.as_deref().map(short_sha).unwrap_or_default().to_string();
                        view! {
                            <tr class=class data-outcome=outcome>
                                <td>{utc(e.at)}</td>
                                <td>{e.actor} <span class="muted">{format!(" via {}", e.via)}</span></td>
                                <td>{e.action}</td>
                                <td>{e.target} <div class="muted">{e.detail}</div></td>
                                <td>{e.outcome} <div class="message">{e.message}</div></td>
                                <td><code>{commit}</code></td>
                                <td>{e.remote.unwrap_or_default()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// `2026-11-29 18:44:02` from unix seconds, without a date library.
fn utc(at: i64) -> String {
    let days = at.div_euclid(86_400);
    let secs = at.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use crate::model::{AuditEntry, AuditLogPage, AuditQuery};

    fn entry(id: i64) -> AuditEntry {
        AuditEntry {
            id,
            at: 0,
            actor: "ann".into(),
            via: "token".into(),
            remote: None,
            action: "promote".into(),
            target: "dev".into(),
            detail: String::new(),
            outcome: "committed".into(),
            message: String::new(),
            commit: None,
        }
    }

    #[test]
    fn a_page_knows_whether_an_older_one_exists() {
        let query = AuditQuery {
            limit: Some(2),
            ..Default::default()
        };
        let page = AuditLogPage::new(vec![entry(9), entry(7), entry(5)], &query);
        assert_eq!(page.entries.len(), 2);
        assert_eq!(page.next_before, Some(7));
        let last = AuditLogPage::new(vec![entry(3), entry(1)], &query);
        assert_eq!((last.entries.len(), last.next_before), (2, None));
    }

    #[test]
    fn page_sizes_are_bounded() {
        let size = |limit| {
            AuditQuery {
                limit,
                ..Default::default()
            }
            .page_size()
        };
        assert_eq!(size(None), 100);
        assert_eq!(size(Some(0)), 1);
        assert_eq!(size(Some(10_000)), 500);
    }

    #[test]
    fn paging_links_keep_the_filters() {
        let query = AuditQuery {
            actor: Some("ann lee".into()),
            outcome: Some("refused".into()),
            target: Some(String::new()),
            before: Some(40),
            ..Default::default()
        };
        assert_eq!(
            query.href(Some(12)),
            "/audit?actor=ann%20lee&outcome=refused&before=12"
        );
        assert_eq!(query.href(None), "/audit?actor=ann%20lee&outcome=refused");
        assert_eq!(AuditQuery::default().href(None), "/audit");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00");
        assert_eq!(super::utc(1_795_286_642), "2026-11-21 18:44:02");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00");
    }
}
