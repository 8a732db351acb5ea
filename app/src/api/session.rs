use leptos::prelude::*;

use crate::{error::BerthError, model::Viewer};

/// Who is looking at the page and what they may do.
#[server(endpoint = "get_viewer")]
pub async fn get_viewer() -> Result<Viewer, BerthError> {
    let request = crate::ports::request_parts().await?;
    crate::ports::operations()?.viewer(&request).await
}

/// Local mode: signs in as `user` and goes back to `next`.
#[server(endpoint = "login")]
pub async fn login(user: String, next: String) -> Result<(), BerthError> {
    let cookie = super::with_status(crate::ports::operations()?.login(&user).await)?;
    set_cookie(&cookie)?;
    leptos_axum::redirect(&safe_next(&next));
    Ok(())
}

/// Signs out here, or with `everywhere` in every browser this person
/// signed in with.
#[server(endpoint = "logout")]
pub async fn logout(#[server(default)] everywhere: bool) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let cookie = crate::ports::operations()?
        .logout(&request, everywhere)
        .await?;
    set_cookie(&cookie)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
use super::set_cookie;

/// Only a path on this site: a link that signs someone in must not send
/// them elsewhere afterwards. Browsers drop tabs and newlines from URLs
/// (so `/%09/evil.example` can become `//evil.example`) and a raw CR/LF
/// cannot go into a header, so the path must start with `/` followed by a
/// plain path character, and hold only printable ASCII without `\`.
pub fn safe_next(next: &str) -> String {
    let second_ok = match next.as_bytes().get(1) {
        None => true,
        Some(c) => c.is_ascii_alphanumeric() || matches!(c, b'?' | b'#' | b'-' | b'_'),
    };
    let plain = next.len() <= 2048
        && next.starts_with('/')
        && second_ok
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && !has_encoded_control(next);
    if plain {
        next.to_string()
    } else {
        "/".to_string()
    }
}

/// `%00`-`%1F` and `%7F`: encoded control characters.
fn has_encoded_control(text: &str) -> bool {
    text.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && (matches!(w[1], b'0' | b'1') && w[2].is_ascii_hexdigit()
                || w[1] == b'7' && matches!(w[2], b'f' | b'F'))
    })
}

/// The page-wide sign-in action; the viewer is re-read after it. Signing
/// out is a plain form that reloads the page.
#[derive(Clone, Copy)]
pub struct Session {
    pub login: ServerAction<Login>,
    pub viewer: Resource<Result<Viewer, BerthError>>,
}

pub fn session() -> Session {
    expect_context::<Session>()
}

impl Session {
    pub fn new() -> Session {
        let login = ServerAction::<Login>::new();
        let viewer = Resource::new(move || login.version().get(), |_| get_viewer());
        Session { login, viewer }
    }
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/promote?env=stg-1"), "/promote?env=stg-1");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(safe_next("/"), "/");
        assert_eq!(safe_next("/sandboxes/ann?x=%20y"), "/sandboxes/ann?x=%20y");
        for bad in [
            "/%09/evil.example",
            "/\t/evil.example",
            "/a\r\nSet-Cookie: x=y",
            "/a%0d%0aSet-Cookie:x",
            "/%2F/evil.example",
            "/ /evil.example",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
