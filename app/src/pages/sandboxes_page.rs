use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{Form, A},
    hooks::use_query_map,
};

use crate::{
    api::list_sandboxes,
    components::{FreshnessBar, Loaded, ProblemList, SandboxState},
    format::ago,
    live::use_live_feed,
    model::SandboxList,
};

#[component]
pub fn SandboxesPage() -> impl IntoView {
    let query = use_query_map();
    let version = use_live_feed().version;
    let list = Resource::new(
        move || (query.read().get("q").unwrap_or_default(), version.get()),
        |(q, _)| list_sandboxes(q),
    );
    let problems = move || query.read().get("problems").as_deref() == Some("1");
    let deleted = move || {
        query.read().get("deleted").map(|name| {
            view! {
                <p class="notice committed" role="status">
                    {format!("Deleted the sandbox {name}: the commit is pushed and Argo CD removes it.")}
                </p>
            }
        })
    };
    view! {
        <Title text="Sandboxes"/>
        {deleted}
        <h1>"Sandboxes"</h1>
        <p>
            <A href="/sandboxes/new">"New sandbox"</A>
        </p>
        <Form method="GET" action="/sandboxes" attr:class="filters">
            <label>
                "Name or owner "
                <input type="search" name="q" value=move || query.read().get("q").unwrap_or_default() prop:value=move || query.read().get("q").unwrap_or_default()/>
            </label>
            <label class="problems-only">
                <input type="checkbox" name="problems" value="1" checked=problems prop:checked=problems/>
                " Problems only"
            </label>
            <button type="submit">"Search"</button>
        </Form>
        <Loaded data=list render=|list| view! { <SandboxTable list/> }/>
    }
}

#[component]
fn SandboxTable(list: SandboxList) -> impl IntoView {
    let now = list.freshness.now;
    let query = use_query_map();
    let mut list = list;
    if query.read_untracked().get("problems").as_deref() == Some("1") {
        list.sandboxes
            .retain(|s| s.live.as_ref().is_some_and(|l| l.status.is_problem()));
    }
    view! {
        <FreshnessBar freshness=list.freshness/>
        <p class="grid-caption">{format!("{} of {} sandboxes", list.sandboxes.len(), list.total)}</p>
        <table class="sandboxes">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Owner"</th>
                    <th>"Keys"</th>
                    <th>"Created"</th>
                    <th>"Days left"</th>
                    <th>"URL"</th>
                    <th>"In the cluster"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .sandboxes
                    .into_iter()
                    .map(|s| {
                        let created = s
                            .created
                            .as_ref()
                            .map(|c| format!("{} by {}", ago(now, c.at), c.author))
                            .unwrap_or_default();
                        let name = s.name.clone();
                        let left = match s.days_left {
                            Some(left) if left < 0 => "expired".to_string(),
                            Some(left) => left.to_string(),
                            None => "—".to_string(),
                        };
                        let title = s.expires.clone().map(|d| format!("last day {d}")).unwrap_or_default();
                        let expiring = s.expiring;
                        let state = view! { <SandboxState name=s.name.clone() page=s.live.clone()/> };
                        view! {
                            <tr class="sandbox" data-sandbox=name>
                                <th scope="row">
                                    <A href=format!("/sandboxes/{}", s.name)>{s.name.clone()}</A>
                                </th>
                                <td>{s.owner.unwrap_or_else(|| "—".into())}</td>
                                <td>{s.keys.len()}</td>
                                <td>{created}</td>
                                <td class="days-left" class:expiring=expiring title=title>{left}</td>
                                <td>
                                    <a href=s.url.clone()>{s.url.clone()}</a>
                                </td>
                                <td>
                                    {state}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <ProblemList problems=list.problems/>
    }
}
