use leptos::prelude::*;

use crate::{
    format::{ago, short_sha},
    model::CommitSummary,
};

/// "by Ann, 3 h ago" with the commit message on hover.
#[component]
pub fn ChangeLine(change: Option<CommitSummary>, now: i64) -> impl IntoView {
    change.map(|c| {
        let title = format!("{} ({}) — {}", c.subject, short_sha(&c.commit), c.email);
        view! {
            <span class="change" title=title>
                "by " <span class="author">{c.author}</span> ", " {ago(now, c.at)}
            </span>
        }
    })
}
