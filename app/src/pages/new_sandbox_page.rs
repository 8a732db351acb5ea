use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::{
    api::{preview_new_sandbox, CreateSandbox},
    components::{DiffView, ErrorBox, Loaded},
    model::CommitPreview,
};

/// Step 1: name and keys (a GET form, so the preview is a page of its own);
/// step 2: the exact commit, confirmed with a POST.
#[component]
pub fn NewSandboxPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |key: &str| query.read().get(key).unwrap_or_default();
    let preview = Resource::new(
        move || (field("name"), field("keys")),
        |(name, keys)| async move {
            if name.is_empty() && keys.is_empty() {
                return Ok(None);
            }
            preview_new_sandbox(name, keys).await.map(Some)
        },
    );
    view! {
        <Title text="New sandbox"/>
        <h1>"New sandbox"</h1>
        <Form method="GET" action="/sandboxes/new" attr:class="stacked">
            <label>
                "Name "
                <input
                    type="text"
                    name="name"
                    required
                    maxlength="63"
                    placeholder="lowercase letters, digits and '-'"
                    value=move || field("name")
                />
            </label>
            <label>
                "SSH public keys, one per line "
                <textarea
                    name="keys"
                    rows="4"
                    required
                    placeholder="ssh-ed25519 AAAA… you@laptop"
                >
                    {move || field("keys")}
                </textarea>
            </label>
            <button type="submit">"Preview"</button>
        </Form>
        <Loaded
            data=preview
            render={move |preview: Option<CommitPreview>| {
                preview.map(|preview| view! { <ConfirmCreate preview name=field("name") keys=field("keys")/> })
            }}
        />
    }
}

#[component]
fn ConfirmCreate(preview: CommitPreview, name: String, keys: String) -> impl IntoView {
    let create = ServerAction::<CreateSandbox>::new();
    view! {
        <DiffView preview/>
        <ActionForm action=create attr:class="confirm">
            <input type="hidden" name="name" value=name/>
            <input type="hidden" name="keys" value=keys/>
            <button type="submit" class="primary">"Commit and create the sandbox"</button>
        </ActionForm>
        {move || create.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error/> })}
    }
}
