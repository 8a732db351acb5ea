use leptos::prelude::*;

use crate::{api::session, model::Viewer};

/// Renders `render` with the person looking at the page, once known, so
/// buttons they may not use are not shown (the server still checks).
#[component]
pub fn WithViewer<F, V>(render: F) -> impl IntoView
where
    F: Fn(Viewer) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let viewer = session().viewer;
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let render = render.clone();
                Suspend::new(async move { render(viewer.await.unwrap_or_default()) })
            }}
        </Suspense>
    }
}
