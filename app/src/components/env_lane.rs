use leptos::prelude::*;
use leptos_router::components::A;

use super::{ChangeLine, HoldBanner};
use crate::{
    format::ago,
    model::{EnvironmentKind, EnvironmentSummary, SandboxLane},
};

/// One lane of the overview: an environment at a glance.
#[component]
pub fn EnvLane(
    summary: EnvironmentSummary,
    now: i64,
    /// Its cells' live problems, as they change.
    #[prop(into)]
    live_problems: Signal<usize>,
) -> impl IntoView {
    let kind = match summary.kind {
        EnvironmentKind::Prod => "prod",
        EnvironmentKind::Stg => "stg",
        EnvironmentKind::Dev => "dev",
    };
    let detail = match summary.kind {
        EnvironmentKind::Prod => "each service's default branch".to_string(),
        _ => format!("{} off their default branch", summary.off_default),
    };
    let problems = summary.problems.len();
    let held = summary.holds.held();
    view! {
        <section class=format!("lane lane-{kind}") class:held=held data-env=summary.name.clone()>
            <h3>
                <A href=format!("/env/{}", summary.name)>{summary.title}</A>
            </h3>
            <p class="count">{format!("{} services", summary.deployed)}</p>
            {(summary.kind != EnvironmentKind::Prod)
                .then(|| {
                    view! {
                        <A href=format!("/promote?env={}", summary.name) attr:class="lane-action">
                            "Promote branches"
                        </A>
                    }
                })}
            {(summary.kind == EnvironmentKind::Dev)
                .then(|| {
                    view! {
                        " · "
                        <A href="/locks#claim" attr:class="lane-action claim-link">
                            "Claim"
                        </A>
                    }
                })}
            <p class="detail">{detail}</p>
            <p class="last-change">
                {summary
                    .last_change
                    .as_ref()
                    .map(|_| "changed ")}
                <ChangeLine change=summary.last_change now/>
            </p>
            {(!summary.unknown.is_empty())
                .then(|| {
                    view! {
                        <p class="unknown">{format!("unknown services: {}", summary.unknown.join(", "))}</p>
                    }
                })}
            {(problems > 0)
                .then(|| view! { <p class="lane-problems">{format!("{problems} problem(s) in {}", summary.file.unwrap_or_default())}</p> })}
            <LiveProblems count=live_problems/>
            <HoldBanner holds=summary.holds now/>
        </section>
    }
}

/// How many of a lane's Applications need looking at, linked to them.
#[component]
fn LiveProblems(
    #[prop(into)] count: Signal<usize>,
    #[prop(optional, into)] href: Option<String>,
) -> impl IntoView {
    let href = href.unwrap_or_else(|| "/?problems=1".into());
    move || {
        let count = count.get();
        (count > 0).then(|| {
            view! {
                <p class="live-problems">
                    <a href=href.clone()>{format!("{count} live problem(s)")}</a>
                </p>
            }
        })
    }
}

#[component]
pub fn SandboxLaneCard(lane: SandboxLane, now: i64) -> impl IntoView {
    view! {
        <section class="lane lane-sandboxes" data-env="sandboxes">
            <h3>
                <A href="/sandboxes">"Sandboxes"</A>
            </h3>
            <p class="count">{format!("{} sandboxes", lane.count)}</p>
            <p class="detail">{format!("{} owners", lane.owners)}</p>
            <LiveProblems count=lane.live_problems href="/sandboxes?problems=1"/>
            <ul class="newest">
                {lane
                    .newest
                    .into_iter()
                    .map(|s| {
                        let when = s.created.as_ref().map(|c| ago(now, c.at)).unwrap_or_default();
                        view! {
                            <li>
                                <A href=format!("/sandboxes/{}", s.name)>{s.name.clone()}</A>
                                " "
                                <span class="muted">{when}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
