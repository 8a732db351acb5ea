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
        .and_then(|cookies| crate::cookies::cookie_value(cookies, FRESH))
        .filter(|value| !value.is_empty())
        .map(str::to_string);
    if fresh.is_some() {
        set_cookie(&fresh_cookie("", 0))?;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok(TokenList { now, tokens, fresh })
}

/// The `Set-Cookie` value of the one-minute cookie, `Secure` when Berth's
/// session cookies are.
#[cfg(feature = "ssr")]
fn fresh_cookie(value: &str, max_age: u32) -> String {
    let secure = match crate::ports::operations() {
        Ok(operations) if operations.secure_cookies() => "; Secure",
        _ => "",
    };
    format!("{FRESH}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// Creates a token that lives `days` (90 unless the form says otherwise).
#[server(endpoint = "create_token")]
pub async fn create_token(
    label: String,
    #[server(default)] days: Option<u32>,
) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let operations = crate::ports::operations()?;
    let days = days.unwrap_or(DEFAULT_TOKEN_DAYS);
    let token = super::with_status(operations.create_token(&request, &label, days).await)?;
    set_cookie(&fresh_cookie(&token, 60))?;
    leptos_axum::redirect("/tokens");
    Ok(())
}

/// How long a new token lives unless the person picks otherwise.
pub const DEFAULT_TOKEN_DAYS: u32 = 90;

#[server(endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let operations = crate::ports::operations()?;
    super::with_status(operations.revoke_token(&request, id).await)?;
    leptos_axum::redirect("/tokens");
    Ok(())
}
