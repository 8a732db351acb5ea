use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{preview_delete_sandbox, DeleteSandbox},
    components::{DiffView, ErrorBox, Loaded},
    model::CommitPreview,
};

/// Deleting is a commit that removes the file; the person types the name.
#[component]
pub fn DeleteSandboxPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let preview = Resource::new(name, preview_delete_sandbox);
    view! {
        <Title text="Delete sandbox"/>
        <h1>"Delete sandbox " {name}</h1>
        <Loaded
            data=preview
            render={move |preview: CommitPreview| view! { <ConfirmDelete preview name=name()/> }}
        />
    }
}

#[component]
fn ConfirmDelete(preview: CommitPreview, name: String) -> impl IntoView {
    let delete = ServerAction::<DeleteSandbox>::new();
    view! {
        <p>"The sandbox's pod, ingress and everything in it will be removed by Argo CD."</p>
        <DiffView preview/>
        <ActionForm action=delete attr:class="confirm">
            <input type="hidden" name="name" value=name.clone()/>
            <label>
                "Type " <code>{name.clone()}</code> " to confirm "
                <input type="text" name="confirm" required autocomplete="off"/>
            </label>
            <button type="submit" class="danger">"Commit and delete"</button>
        </ActionForm>
        {move || delete.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error/> })}
    }
}
