use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::{
    api::get_audit,
    components::Loaded,
    format::{short_sha, utc},
    links::audit_href,
    model::{AuditAction, AuditEntry, AuditLogPage, AuditOutcome, AuditQuery},
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
                    {std::iter::once("")
                        .chain(AuditAction::ALL.map(AuditAction::as_str))
                        .map(|a| view! { <option value=a selected=move || field("action").as_deref() == Some(a)>{if a.is_empty() { "any" } else { a }}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Outcome "
                <select name="outcome">
                    {std::iter::once("")
                        .chain(AuditOutcome::ALL.map(AuditOutcome::as_str))
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
    let newest = query.before.is_some().then(|| audit_href(&query, None));
    let older = next_before.map(|before| audit_href(&query, Some(before)));
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
