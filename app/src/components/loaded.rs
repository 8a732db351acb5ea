use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

use super::ErrorBox;
use crate::error::BerthError;

/// Waits for a page's data, then renders it, or says plainly what failed.
/// When the data loads again (git moved), the page stays until the new
/// data is there, rather than flashing "Loading…".
#[component]
pub fn Loaded<T, F, V>(data: Resource<Result<T, BerthError>>, render: F) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
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
        </Transition>
    }
}

/// On the server, the page's HTTP status follows the error.
fn set_status(_error: &BerthError) {
    #[cfg(feature = "ssr")]
    _error.set_response_status();
}
