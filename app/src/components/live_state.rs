use leptos::prelude::*;

use crate::{
    format::{ago, short_sha, utc},
    live::use_live_feed,
    model::{ClusterStatus, LiveStatus, SandboxLive, StepState},
};

/// `10:42 UTC` from unix seconds.
fn clock(at: i64) -> String {
    let full = utc(at);
    format!("{} UTC", full.get(11..16).unwrap_or(&full))
}

/// The cluster's side of one grid cell: sync and health, the image tags
/// running, when it synced, and what differs from git in words.
#[component]
pub fn LiveBadge(
    environment: String,
    service: String,
    page: Option<LiveStatus>,
    now: i64,
) -> impl IntoView {
    let live = use_live_feed().cell(&environment, &service, page);
    move || live.get().map(|live| view! { <LiveLines live now/> })
}

#[component]
fn LiveLines(live: LiveStatus, now: i64) -> impl IntoView {
    let tone = live.tone();
    let state = if !live.found && live.drift.is_empty() {
        "cluster not read yet".to_string()
    } else if !live.found {
        "no Application".to_string()
    } else {
        format!("{} · {}", live.sync, live.health)
    };
    let synced = live
        .synced_at
        .map(|at| format!("synced {}", ago(now, at)))
        .into_iter()
        .chain(
            live.revision
                .as_deref()
                .map(|r| format!("@ {}", short_sha(r))),
        )
        .collect::<Vec<_>>()
        .join(" ");
    view! {
        <div class=format!("live tone-{tone}") data-live=tone title=format!("Argo CD Application {} in cluster {}", live.application, live.cluster)>
            <span class="live-state">{state}</span>
            {(!live.images.is_empty())
                .then(|| view! { <span class="live-images">" " <code>{live.images.join(", ")}</code></span> })}
            {(!synced.is_empty()).then(|| view! { <span class="live-synced muted">" " {synced}</span> })}
            {live.stale_since.map(|since| view! { <span class="live-stale">{format!(" as of {} (cluster stale)", clock(since))}</span> })}
            {(!live.drift.is_empty())
                .then(|| {
                    view! {
                        <ul class="drift">
                            {live.drift.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}
                        </ul>
                    }
                })}
        </div>
    }
}

/// A sandbox's way from its file to a usable sandbox, step by step.
#[component]
pub fn SandboxChain(name: String, page: Option<SandboxLive>, now: i64) -> impl IntoView {
    let live = use_live_feed().sandbox(&name, page);
    move || {
        let Some(live) = live.get() else {
            return view! { <p class="muted chain-waiting">"Waiting for the cluster to report this sandbox…"</p> }
                .into_any();
        };
        {
            let ready = live.ready();
            let steps = live
                .chain
                .into_iter()
                .map(|step| {
                    let state = match step.state {
                        StepState::Done => "done",
                        StepState::Waiting => "waiting",
                        StepState::Failed => "failed",
                    };
                    view! {
                        <li class=format!("step step-{state}") data-step=state>
                            <span class="step-label">{step.label}</span>
                            {step.at.map(|at| view! { <span class="muted">" " {ago(now, at)}</span> })}
                            {step.detail.map(|d| view! { <span class="step-detail">" — " {d}</span> })}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="chain" data-ready=ready.to_string()>
                    <LiveLines live=live.status now/>
                    <ol class="steps">{steps}</ol>
                    {ready.then(|| view! { <p class="ready">"Ready"</p> })}
                </div>
            }
            .into_any()
        }
    }
}

/// Each cluster's connection, next to the repositories in the freshness
/// bar; and whether this page follows changes as they happen.
#[component]
pub fn ClusterLine(clusters: Vec<ClusterStatus>) -> impl IntoView {
    let feed = use_live_feed();
    let none = clusters.is_empty();
    let clusters = feed.clusters(clusters);
    let connected = feed.connected;
    view! {
        {none.then(|| view! { <span class="cluster muted">"Live state is not configured: this shows git only."</span> })}
        {move || {
            clusters
                .get()
                .into_iter()
                .map(|c| {
                    let text = match (c.state.as_str(), c.since) {
                        ("stale", Some(since)) => format!("stale since {}", clock(since)),
                        (state, _) => state.to_string(),
                    };
                    let name = c.name.clone();
                    view! {
                        <span class=format!("cluster cluster-{}", c.state) data-cluster=name>
                            <strong>{c.name}</strong>
                            {format!(" cluster {text}")}
                            {c.reason.map(|r| view! { <span class="muted">{format!(" — {r}")}</span> })}
                        </span>
                    }
                })
                .collect_view()
        }}
        <span class="live-indicator" data-connected=move || connected.get().to_string()>
            {move || if connected.get() { "● live" } else { "" }}
        </span>
    }
}

/// A sandbox's live state in one line, for the list: ready, or the first
/// step that is not, with the cluster's reason.
#[component]
pub fn SandboxState(name: String, page: Option<SandboxLive>) -> impl IntoView {
    let live = use_live_feed().sandbox(&name, page);
    move || {
        live.get().map(|live| {
            let tone = live.status.tone();
            let text = if live.ready() && live.status.drift.is_empty() {
                "ready".to_string()
            } else if let Some(failed) = live.chain.iter().find(|s| s.state == StepState::Failed) {
                format!(
                    "{}: {}",
                    failed.label,
                    failed.detail.clone().unwrap_or_default()
                )
            } else if let Some(problem) = live.status.drift.first() {
                problem.clone()
            } else {
                let next = live.chain.iter().find(|s| s.state == StepState::Waiting);
                format!(
                    "waiting: {}",
                    next.map(|s| s.label.as_str()).unwrap_or("cluster")
                )
            };
            view! { <span class=format!("live tone-{tone}") data-live=tone>{text}</span> }
        })
    }
}
