use leptos::prelude::*;

use crate::model::KeyFingerprint;

/// SSH key fingerprints in `ssh-keygen -lf` format.
#[component]
pub fn KeyList(keys: Vec<KeyFingerprint>) -> impl IntoView {
    view! {
        <ul class="keys">
            {keys
                .into_iter()
                .map(|k| view! { <li><code class="fingerprint">{k.line}</code></li> })
                .collect_view()}
        </ul>
    }
}
