use leptos::prelude::*;

use crate::model::CommitPreview;

/// The exact commit a person is about to make: message and unified diff.
#[component]
pub fn DiffView(preview: CommitPreview) -> impl IntoView {
    if let Some(why) = preview.unchanged {
        return view! { <p class="notice unchanged" role="status">{why}</p> }.into_any();
    }
    let lines = preview
        .diff
        .lines()
        .map(|line| {
            let class = match line.chars().next() {
                _ if line.starts_with("+++") || line.starts_with("---") => "diff-file",
                Some('+') => "diff-add",
                Some('-') => "diff-del",
                Some('@') => "diff-hunk",
                _ => "diff-context",
            };
            view! { <span class=class>{format!("{line}\n")}</span> }
        })
        .collect_view();
    view! {
        <section class="preview" aria-label="Commit preview">
            <h2>"Commit preview"</h2>
            <p class="preview-file">{preview.file}</p>
            <pre class="commit-message">{preview.message}</pre>
            <pre class="diff">{lines}</pre>
        </section>
    }
    .into_any()
}
