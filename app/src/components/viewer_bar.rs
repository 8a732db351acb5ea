use leptos::prelude::*;
use leptos_router::components::A;

use super::WithViewer;
use crate::api::Logout;

/// Top right of every page: who is signed in, and the way in or out.
#[component]
pub fn ViewerBar() -> impl IntoView {
    // Plain forms, with or without JavaScript: signing out reloads the page,
    // so nothing personal stays on screen, and the main wasm module carries
    // no client for it.
    let logout = <Logout as leptos::server_fn::ServerFn>::PATH;
    view! {
        <div class="viewer">
            <WithViewer render=move |viewer| match viewer.user {
                Some(user) => {
                    let role = viewer.role.map(|r| r.as_str()).unwrap_or_default();
                    view! {
                        <span class="who" data-user=user.clone()>
                            {user.clone()} " " <span class="role">{role}</span>
                        </span>
                        <A href="/tokens">"API tokens"</A>
                        {viewer
                            .local_login
                            .then(|| {
                                view! {
                                    <form method="post" action=logout class="inline">
                                        <button type="submit" class="link">"Sign out"</button>
                                    </form>
                                    <form method="post" action=logout class="inline">
                                        <input type="hidden" name="everywhere" value="true"/>
                                        <button
                                            type="submit"
                                            class="link"
                                            title="End every session of yours, in every browser"
                                        >
                                            "Sign out everywhere"
                                        </button>
                                    </form>
                                }
                            })}
                    }
                        .into_any()
                }
                None if viewer.local_login => view! { <A href="/login">"Sign in"</A> }.into_any(),
                None => view! { <span class="muted">"not signed in"</span> }.into_any(),
            }/>
        </div>
    }
}
