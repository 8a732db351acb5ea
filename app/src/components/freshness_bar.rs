use leptos::prelude::*;

use crate::{
    api::RefreshNow,
    components::{ClusterLine, WithViewer},
    format::{ago, short_sha},
    model::Freshness,
};

/// The demo notice, "as of commit …, n s ago" per repository, and Refresh.
#[component]
pub fn FreshnessBar(freshness: Freshness) -> impl IntoView {
    // A plain form, with or without JavaScript: the server fetches, then
    // sends the browser back to this page, rendered from the new data.
    let refresh = <RefreshNow as leptos::server_fn::ServerFn>::PATH;
    let now = freshness.now;
    crate::live::use_live_feed().rendered_at(freshness.live_version);
    view! {
        {freshness.banner.map(|text| view! { <div class="banner" role="note">{text}</div> })}
        <div class="freshness">
            {freshness
                .sources
                .into_iter()
                .map(|s| {
                    let state = if s.commit.is_empty() {
                        "not read yet".to_string()
                    } else {
                        format!("as of commit {}, {}", short_sha(&s.commit), ago(now, s.fetched_at))
                    };
                    view! {
                        <span class="source" title=s.commit.clone()>
                            <strong>{s.repository}</strong>
                            {format!(" @ {} — ", s.branch)}
                            <span class="as-of">{state}</span>
                            {s.error.map(|e| view! { <span class="source-error">" · refresh failed: " {e}</span> })}
                        </span>
                    }
                })
                .collect_view()}
            <ClusterLine clusters=freshness.clusters/>
            {(freshness.problem_count > 0)
                .then(|| {
                    view! {
                        <a class="problem-count" href="#problems">
                            {format!("{} file problem(s)", freshness.problem_count)}
                        </a>
                    }
                })}
            // Only signed-in people may make Berth fetch now (the server
            // refuses others); everyone gets the interval's refreshes.
            <WithViewer render=move |viewer| {
                viewer
                    .user
                    .is_some()
                    .then(|| {
                        view! {
                            <form method="post" action=refresh class="refresh">
                                <button type="submit">"Refresh"</button>
                            </form>
                        }
                    })
            }/>
        </div>
    }
}
