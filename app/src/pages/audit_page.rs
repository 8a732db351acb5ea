use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::components::Loaded;
use crate::{
    api::get_audit,
    model::{short_sha, AuditEntry, AuditQuery},
};

/// Every write attempt made through Berth, newest first.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |key: &str| query.read().get(key).filter(|v| !v.is_empty());
    let entries = Resource::new(
        move || AuditQuery {
            actor: field("actor"),
            action: field("action"),
            outcome: field("outcome"),
            target: field("target"),
            limit: None,
        },
        get_audit,
    );
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
                    {["", "committed", "unchanged", "refused", "failed"]
                        .into_iter()
                        .map(|o| view! { <option value=o selected=move || field("outcome").as_deref() == Some(o)>{if o.is_empty() { "any" } else { o }}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>"Target " <input type="search" name="target" value=text("target")/></label>
            <button type="submit">"Filter"</button>
        </Form>
        <Loaded data=entries render=|entries| view! { <AuditTable entries/> }/>
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
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00");
        assert_eq!(super::utc(1_795_286_642), "2026-11-21 18:44:02");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00");
    }
}
