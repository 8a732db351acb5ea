use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::{
    api::{get_overview, refresh_action},
    components::{EnvLane, FreshnessBar, Loaded, ProblemList, SandboxLaneCard, ServiceGrid},
    model::{filter_rows, Overview},
};

#[component]
pub fn OverviewPage() -> impl IntoView {
    let refresh = refresh_action();
    let overview = Resource::new(move || refresh.version().get(), |_| get_overview());
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
    let rows = StoredValue::new(overview.rows);
    let lanes = overview
        .environments
        .into_iter()
        .map(|summary| view! { <EnvLane summary now/> })
        .collect_view();
    view! {
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
                <input type="search" name="branch" placeholder="e.g. feature-" prop:value=move || param("branch")/>
            </label>
            <button type="submit">"Filter"</button>
            <a class="clear" href="/">"Clear"</a>
        </Form>
        {move || {
            let service = param("service");
            let branch = param("branch");
            let highlight = query.read().get("highlight").filter(|h| !h.is_empty());
            let shown = rows.with_value(|rows| filter_rows(rows, &service, &branch));
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
                />
            }
        }}
        <ProblemList problems=overview.problems/>
    }
}
