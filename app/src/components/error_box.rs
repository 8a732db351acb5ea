use leptos::prelude::*;

use crate::error::BerthError;

#[component]
pub fn ErrorBox(error: BerthError) -> impl IntoView {
    let sign_in = matches!(error, BerthError::Unauthenticated(_))
        .then(|| view! { " " <a href="/login">"Sign in"</a> });
    view! { <div class="error-box" role="alert">{error.to_string()} {sign_in}</div> }
}
