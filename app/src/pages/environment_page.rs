use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use crate::{
    api::get_environment,
    components::{ChangeLine, FreshnessBar, LiveBadge, Loaded, ProblemList},
    format::{ago, short_sha},
    live::use_live_feed,
    model::EnvironmentDetail,
};

#[component]
pub fn EnvironmentPage() -> impl IntoView {
    let params = use_params_map();
    let version = use_live_feed().version;
    let detail = Resource::new(
        move || (params.read().get("name").unwrap_or_default(), version.get()),
        |(name, _)| get_environment(name),
    );
    view! {
        <Title text="Environment"/>
        <Loaded data=detail render=|detail| view! { <EnvironmentBody detail/> }/>
    }
}

#[component]
fn EnvironmentBody(detail: EnvironmentDetail) -> impl IntoView {
    let now = detail.freshness.now;
    let summary = detail.summary;
    let env_name = summary.name.clone();
    let source = match &summary.file {
        Some(file) => format!("from {file}"),
        None => "prod follows each service's default branch".to_string(),
    };
    view! {
        <Title text=summary.title.clone()/>
        <FreshnessBar freshness=detail.freshness/>
        <h1>{summary.title.clone()}</h1>
        <p class="muted">{source}</p>
        <table class="mapping">
            <thead>
                <tr>
                    <th>"Service"</th>
                    <th>"Branch"</th>
                    <th>"Last changed"</th>
                    <th>"In the cluster"</th>
                </tr>
            </thead>
            <tbody>
                {detail
                    .entries
                    .into_iter()
                    .map(|e| {
                        let class = if e.known { "entry" } else { "entry unknown" };
                        let service = e.service.clone();
                        let badge = view! { <LiveBadge environment=env_name.clone() service=e.service.clone() page=e.live.clone() now/> };
                        view! {
                            <tr class=class data-service=service>
                                <th scope="row">
                                    {e.service}
                                    {(!e.known).then(|| view! { <span class="tag">" unknown service"</span> })}
                                </th>
                                <td>
                                    {match e.branch_url {
                                        Some(url) => view! { <a href=url>{e.branch.clone()}</a> }.into_any(),
                                        None => view! { <span>{e.branch.clone()}</span> }.into_any(),
                                    }}
                                    {(!e.is_default && e.known).then(|| view! { <span class="tag">" off default"</span> })}
                                </td>
                                <td>
                                    <ChangeLine change=e.last_change now/>
                                </td>
                                <td>
                                    {badge}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {(!detail.not_deployed.is_empty())
            .then(|| view! { <p class="not-deployed">"Not deployed here: " {detail.not_deployed.join(", ")}</p> })}
        <ProblemList problems=summary.problems/>
        <h2>"History"</h2>
        {if detail.history.is_empty() {
            view! { <p class="muted">"No recorded changes."</p> }.into_any()
        } else {
            view! {
                <ol class="history">
                    {detail
                        .history
                        .into_iter()
                        .map(|h| {
                            let what = match (&h.from, &h.to) {
                                (Some(from), Some(to)) => format!("{from} → {to}"),
                                (None, Some(to)) => format!("added on {to}"),
                                (Some(from), None) => format!("removed (was {from})"),
                                (None, None) => String::new(),
                            };
                            view! {
                                <li class="history-entry">
                                    <strong>{h.service}</strong>
                                    ": "
                                    <span class="what">{what}</span>
                                    " — "
                                    <span class="author">{h.change.author}</span>
                                    ", "
                                    <span title=h.change.commit.clone()>{ago(now, h.change.at)}</span>
                                    " · "
                                    <code>{short_sha(&h.change.commit).to_string()}</code>
                                    " "
                                    <span class="subject">{h.change.subject}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            }
            .into_any()
        }}
        <p>
            <A href="/">"← Overview"</A>
        </p>
    }
}
