use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::{
    api::get_overview,
    components::{
        EnvLane, FreshnessBar, GridShortcuts, Loaded, ProblemList, SandboxLaneCard, ServiceGrid,
        WithViewer,
    },
    filters::filter_rows,
    format::short_sha,
    live::use_live_feed,
    model::{EnvironmentKind, Overview, Viewer},
};

#[component]
pub fn OverviewPage() -> impl IntoView {
    let version = use_live_feed().version;
    let overview = Resource::new(move || version.get(), |_| get_overview());
    view! {
        <Title text="Overview"/>
        <Loaded data=overview render=|overview| view! { <OverviewBody overview/> }/>
    }
}

#[component]
fn OverviewBody(overview: Overview) -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.read().get(key).unwrap_or_default();
    let now = overview.freshness.now;
    let environments: Vec<(String, String)> = overview
        .environments
        .iter()
        .map(|e| (e.name.clone(), e.title.clone()))
        .collect();
    let services: Vec<String> = overview.rows.iter().map(|r| r.service.clone()).collect();
    let kinds: Vec<(String, String, EnvironmentKind)> = overview
        .environments
        .iter()
        .map(|e| (e.name.clone(), e.title.clone(), e.kind))
        .collect();
    let shortcuts_for = move |viewer: &Viewer| GridShortcuts {
        stg_targets: kinds
            .iter()
            .filter(|(name, _, kind)| *kind == EnvironmentKind::Stg && viewer.may_write(name))
            .map(|(name, title, _)| (name.clone(), title.clone()))
            .collect(),
        dev: kinds
            .iter()
            .find(|(_, _, kind)| *kind == EnvironmentKind::Dev)
            .map(|(name, title, _)| (name.clone(), title.clone())),
    };
    let feed = use_live_feed();
    let lanes = overview
        .environments
        .into_iter()
        .map(|summary| {
            let page = overview
                .rows
                .iter()
                .map(|row| {
                    let cell = row.cells.iter().find(|c| c.environment == summary.name);
                    (row.service.clone(), cell.and_then(|c| c.live.clone()))
                })
                .collect();
            let live_problems = feed.problems_in(&summary.name, page);
            view! { <EnvLane summary now live_problems/> }
        })
        .collect_view();
    let rows = StoredValue::new(overview.rows);
    let committed = move || {
        query.read().get("committed").map(|sha| {
            view! {
                <p class="notice committed" role="status">
                    "Committed " <code>{short_sha(&sha).to_string()}</code>
                    " and pushed; Argo CD deploys it from there."
                </p>
            }
        })
    };
    let unchanged = move || {
        query.read().get("unchanged").map(|env| {
            view! { <p class="notice unchanged" role="status">{format!("{env} already ran those branches; nothing was committed.")}</p> }
        })
    };
    view! {
        {committed}
        {unchanged}
        <FreshnessBar freshness=overview.freshness/>
        <div class="lanes">
            {lanes}
            <SandboxLaneCard lane=overview.sandboxes now/>
        </div>
        <h2>"Where each service runs"</h2>
        <Form method="GET" action="/" attr:class="filters">
            <label>
                "Service "
                <select name="service">
                    <option value="">"All services"</option>
                    {services
                        .into_iter()
                        .map(|s| {
                            let value = s.clone();
                            let label = s.clone();
                            let selected = move || param("service") == s;
                            view! { <option value=value selected=selected>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Branch "
                <input type="search" name="branch" placeholder="e.g. feature-" value=move || param("branch") prop:value=move || param("branch")/>
            </label>
            <label class="problems-only">
                <input type="checkbox" name="problems" value="1" checked=move || param("problems") == "1" prop:checked=move || param("problems") == "1"/>
                " Problems only"
            </label>
            <button type="submit">"Filter"</button>
            <a class="clear" href="/">"Clear"</a>
        </Form>
        <WithViewer render=move |viewer| {
            let shortcuts = shortcuts_for(&viewer);
            let environments = environments.clone();
            move || {
            let service = param("service");
            let branch = param("branch");
            let highlight = query.read().get("highlight").filter(|h| !h.is_empty());
            let problems = param("problems") == "1";
            let shown = rows.with_value(|rows| filter_rows(rows, &service, &branch, problems));
            view! {
                <p class="grid-caption">
                    {format!("{} of {} services", shown.len(), overview.total_services)}
                    {highlight.clone().map(|h| view! { <span class="highlight-note">" · highlighting " <code>{h}</code></span> })}
                </p>
                <ServiceGrid
                    rows=shown
                    environments=environments.clone()
                    highlight
                    service_filter=service
                    branch_filter=branch
                    now
                    shortcuts=shortcuts.clone()
                />
            }
            }
        }/>
        <ProblemList problems=overview.problems/>
    }
}
