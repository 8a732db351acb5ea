use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use crate::{
    api::{get_sandbox, refresh_action},
    components::{ChangeLine, FreshnessBar, KeyList, Loaded, ProblemList},
    model::{ago, short_sha, SandboxDetail},
};

#[component]
pub fn SandboxPage() -> impl IntoView {
    let params = use_params_map();
    let refresh = refresh_action();
    let detail = Resource::new(
        move || {
            (
                params.read().get("name").unwrap_or_default(),
                refresh.version().get(),
            )
        },
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
    let s = detail.sandbox;
    view! {
        <Title text=format!("Sandbox {}", s.name)/>
        <FreshnessBar freshness=detail.freshness/>
        <h1>"Sandbox " {s.name.clone()}</h1>
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
            <dt>"Created"</dt>
            <dd class="created">
                <ChangeLine change=s.created.clone() now/>
            </dd>
            <dt>"File"</dt>
            <dd>
                <code>{s.file.clone()}</code>
            </dd>
        </dl>
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
