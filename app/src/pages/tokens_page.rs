use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{list_tokens, CreateToken, RevokeToken},
    components::{ErrorBox, Loaded},
    format::{ago, until},
    model::TokenList,
};

/// API tokens for scripts: each acts as the person who made it.
#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let list = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    view! {
        <Title text="API tokens"/>
        <h1>"API tokens"</h1>
        <p class="muted">
            "A token acts as you, with your role, for scripts calling /api/v1. Send it as "
            <code>"Authorization: Bearer <token>"</code> "."
        </p>
        <ActionForm action=create attr:class="confirm">
            <label>
                "Label " <input type="text" name="label" required maxlength="80" placeholder="e.g. ci-release"/>
            </label>
            <label>
                "Expires in "
                <select name="days">
                    <option value="7">"7 days"</option>
                    <option value="30">"30 days"</option>
                    <option value="90" selected>"90 days"</option>
                    <option value="365">"365 days"</option>
                </select>
            </label>
            <button type="submit" class="primary">"Create token"</button>
        </ActionForm>
        {move || create.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error/> })}
        <Loaded data=list render=move |list| view! { <TokenTable list revoke/> }/>
    }
}

#[component]
fn TokenTable(list: TokenList, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let now = list.now;
    view! {
        {list.fresh.map(|token| view! {
            <div class="notice committed fresh-token" role="status">
                "Your new token — copy it now, it is not shown again: "
                <code class="token">{token}</code>
            </div>
        })}
        <table class="tokens">
            <thead>
                <tr>
                    <th scope="col">"Label"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col"></th>
                </tr>
            </thead>
            <tbody>
                {list
                    .tokens
                    .into_iter()
                    .map(|t| {
                        let last = t.last_used_at.map(|at| ago(now, at)).unwrap_or_else(|| "never".into());
                        view! {
                            <tr class="token-row">
                                <td>{t.label}</td>
                                <td>{ago(now, t.created_at)}</td>
                                <td>{last}</td>
                                <td>{t.expires_at.map(|at| until(now, at)).unwrap_or_else(|| "never".into())}</td>
                                <td>
                                    <ActionForm action=revoke attr:class="inline">
                                        <input type="hidden" name="id" value=t.id.to_string()/>
                                        <button type="submit" class="link">"Revoke"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
