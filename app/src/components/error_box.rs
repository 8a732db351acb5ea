use leptos::prelude::*;

use crate::error::BerthError;

#[component]
pub fn ErrorBox(error: BerthError) -> impl IntoView {
    view! { <div class="error-box" role="alert">{error.to_string()}</div> }
}
