use leptos::prelude::*;
use leptos_router::components::A;

use super::WithViewer;
use crate::api::session;

/// Top right of every page: who is signed in, and the way in or out.
#[component]
pub fn ViewerBar() -> impl IntoView {
    let logout = session().logout;
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
                                    <ActionForm action=logout attr:class="inline">
                                        <button type="submit" class="link">"Sign out"</button>
                                    </ActionForm>
                                    <ActionForm action=logout attr:class="inline">
                                        <input type="hidden" name="everywhere" value="true"/>
                                        <button
                                            type="submit"
                                            class="link"
                                            title="End every session of yours, in every browser"
                                        >
                                            "Sign out everywhere"
                                        </button>
                                    </ActionForm>
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
