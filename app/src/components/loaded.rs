use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

use super::ErrorBox;
use crate::error::BerthError;

/// Waits for a page's data, then renders it, or says plainly what failed.
#[component]
pub fn Loaded<T, F, V>(data: Resource<Result<T, BerthError>>, render: F) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(value) => render(value).into_any(),
                        Err(error) => {
                            set_status(&error);
                            view! { <ErrorBox error/> }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

/// On the server, the page's HTTP status follows the error: a missing
/// sandbox is a 404, not a 200 that merely says so.
fn set_status(_error: &BerthError) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let status = http::StatusCode::from_u16(_error.status());
        response.set_status(status.unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR));
    }
}
