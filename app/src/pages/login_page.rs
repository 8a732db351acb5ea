use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::session,
    components::{ErrorBox, WithViewer},
};

/// Local mode: a person picks the user name they act as. Berth allows this
/// only when it listens on loopback, where everyone is the machine's user.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = session().login;
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    view! {
        <Title text="Sign in"/>
        <h1>"Sign in"</h1>
        <WithViewer render=|viewer| {
            (!viewer.local_login)
                .then(|| {
                    view! {
                        <p class="notice unchanged">
                            "This Berth signs people in through your company login; open it through that address."
                        </p>
                    }
                })
        }/>
        <p class="muted">
            "This Berth runs in local mode: pick the user name your commits are made as."
        </p>
        <ActionForm action=login attr:class="stacked">
            <input type="hidden" name="next" value=next/>
            <label>
                "User name "
                <input
                    type="text"
                    name="user"
                    required
                    autocomplete="username"
                    pattern="[a-z][a-z0-9._\\-]{0,63}"
                    placeholder="e.g. kohbis"
                />
            </label>
            <button type="submit">"Sign in"</button>
        </ActionForm>
        {move || login.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error/> })}
    }
}
