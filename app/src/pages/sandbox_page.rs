use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use crate::{
    api::{get_sandbox, ExtendSandbox},
    components::{
        ChangeLine, FreshnessBar, KeyList, Loaded, ProblemList, SandboxChain, WithViewer,
    },
    format::{ago, short_sha},
    live::use_live_feed,
    model::{SandboxDetail, SandboxSummary},
};

/// "expires 2026-12-31 (in 5 days)", "last day today", or nothing.
pub fn expiry_words(s: &SandboxSummary) -> Option<String> {
    let day = s.expires.clone()?;
    Some(match s.days_left {
        Some(left) if left < 0 => format!("expired on {day}; Berth deletes it within a minute"),
        Some(0) => format!("last day today ({day})"),
        Some(1) => format!("expires {day} (last day tomorrow)"),
        Some(left) => format!("expires {day} (in {left} days)"),
        None => format!("expires {day}"),
    })
}

#[component]
pub fn SandboxPage() -> impl IntoView {
    let params = use_params_map();
    let version = use_live_feed().version;
    let detail = Resource::new(
        move || (params.read().get("name").unwrap_or_default(), version.get()),
        |(name, _)| get_sandbox(name),
    );
    view! {
        <Title text="Sandbox"/>
        <Loaded data=detail render=|detail| view! { <SandboxBody detail/> }/>
    }
}

#[component]
fn SandboxBody(detail: SandboxDetail) -> impl IntoView {
    let now = detail.freshness.now;
    let live_configured = !detail.freshness.clusters.is_empty();
    let s = detail.sandbox;
    let query = use_query_map();
    // Right after Berth committed the file, the cluster has not caught up.
    let created = move || {
        query
            .read()
            .get("created")
            .filter(|sha| !sha.is_empty())
            .map(|sha| {
                view! {
                    <p class="notice committed" role="status">
                        "Committed " <code>{short_sha(&sha).to_string()}</code>
                        " — waiting for the cluster to create the sandbox."
                    </p>
                }
            })
    };
    let owner = s.owner.clone();
    let extend_owner = s.owner.clone();
    // A sandbox without a last day never expires: nothing to extend.
    let expires_at_all = s.expires.is_some();
    let extend_name = s.name.clone();
    let expiry = expiry_words(&s);
    let expiring = s.expiring;
    let extend = ServerAction::<ExtendSandbox>::new();
    let delete_href = format!("/sandboxes/{}/delete", s.name);
    view! {
        <Title text=format!("Sandbox {}", s.name)/>
        {created}
        <FreshnessBar freshness=detail.freshness/>
        <h1>"Sandbox " {s.name.clone()}</h1>
        <WithViewer render=move |viewer| {
            viewer
                .may_delete_sandbox(owner.as_deref())
                .then(|| view! { <A href=delete_href.clone() attr:class="danger-link">"Delete this sandbox…"</A> })
        }/>
        <dl class="facts">
            <dt>"Owner"</dt>
            <dd class="owner">{s.owner.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"URL"</dt>
            <dd>
                <a href=s.url.clone()>{s.url.clone()}</a>
            </dd>
            <dt>"SSH"</dt>
            <dd>
                <code class="ssh">{s.ssh.clone()}</code>
            </dd>
            <dt>"Expires"</dt>
            <dd class="expires" class:expiring=expiring>
                {expiry.unwrap_or_else(|| "never".into())}
                <WithViewer render=move |viewer| {
                    let name = extend_name.clone();
                    (expires_at_all && viewer.may_delete_sandbox(extend_owner.as_deref()))
                        .then(|| view! {
                            <ActionForm action=extend attr:class="inline extend">
                                <input type="hidden" name="name" value=name/>
                                <button type="submit">"Extend"</button>
                            </ActionForm>
                        })
                }/>
                {move || extend.value().get().and_then(Result::err).map(|error| view! { <crate::components::ErrorBox error/> })}
            </dd>
            <dt>"Created"</dt>
            <dd class="created">
                <ChangeLine change=s.created.clone() now/>
            </dd>
            <dt>"File"</dt>
            <dd>
                <code>{s.file.clone()}</code>
            </dd>
        </dl>
        <h2>"In the cluster"</h2>
        {if live_configured {
            view! { <SandboxChain name=s.name.clone() page=s.live.clone() now/> }.into_any()
        } else {
            view! { <p class="muted">"Live state is not configured."</p> }.into_any()
        }}
        <h2>"SSH keys"</h2>
        <KeyList keys=s.keys/>
        <ProblemList problems=s.problems/>
        <h2>"History"</h2>
        <ol class="history">
            {detail
                .history
                .into_iter()
                .map(|c| {
                    view! {
                        <li class="history-entry">
                            <span class="author">{c.author}</span>
                            ", "
                            {ago(now, c.at)}
                            " · "
                            <code>{short_sha(&c.commit).to_string()}</code>
                            " "
                            {c.subject}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
        <p>
            <A href="/sandboxes">"← All sandboxes"</A>
        </p>
    }
}
