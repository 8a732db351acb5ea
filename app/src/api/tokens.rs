use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::set_cookie;
use crate::{error::BerthError, model::TokenList};

/// The cookie that carries a just-created token to the next page view, so
/// it can be shown once even without JavaScript (the server keeps only a
/// hash). It lives a minute and is cleared when shown.
#[cfg(feature = "ssr")]
const FRESH: &str = "berth_new_token";

#[server(endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<TokenList, BerthError> {
    let request = crate::ports::request_parts().await?;
    let tokens = crate::ports::operations()?.tokens(&request).await?;
    let fresh = request
        .headers
        .get(http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|cookies| {
            cookies
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(name, _)| *name == FRESH)
                .map(|(_, value)| value.to_string())
        })
        .filter(|value| !value.is_empty());
    if fresh.is_some() {
        set_cookie(&format!(
            "{FRESH}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        ))?;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok(TokenList { now, tokens, fresh })
}

#[server(endpoint = "create_token")]
pub async fn create_token(label: String) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let operations = crate::ports::operations()?;
    let token = super::with_status(operations.create_token(&request, &label).await)?;
    set_cookie(&format!(
        "{FRESH}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=60"
    ))?;
    leptos_axum::redirect("/tokens");
    Ok(())
}

#[server(endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let operations = crate::ports::operations()?;
    super::with_status(operations.revoke_token(&request, id).await)?;
    leptos_axum::redirect("/tokens");
    Ok(())
}
