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
    let cookie = super::with_status(crate::ports::operations()?.login(&user))?;
    set_cookie(&cookie)?;
    leptos_axum::redirect(&safe_next(&next));
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), BerthError> {
    let cookie = crate::ports::operations()?.logout();
    set_cookie(&cookie)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
use super::set_cookie;

/// Only a path on this site: a link that signs someone in must not send
/// them elsewhere afterwards.
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/".to_string()
    }
}

/// The page-wide session actions; the viewer is re-read after each.
#[derive(Clone, Copy)]
pub struct Session {
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
    pub viewer: Resource<Result<Viewer, BerthError>>,
}

pub fn session() -> Session {
    expect_context::<Session>()
}

impl Session {
    pub fn new() -> Session {
        let login = ServerAction::<Login>::new();
        let logout = ServerAction::<Logout>::new();
        let viewer = Resource::new(
            move || (login.version().get(), logout.version().get()),
            |_| get_viewer(),
        );
        Session {
            login,
            logout,
            viewer,
        }
    }

    /// The viewer once loaded; nobody while loading or on error. Read it
    /// inside a `Suspense` so server and browser render the same.
    pub fn current(&self) -> Viewer {
        self.viewer.get().and_then(Result::ok).unwrap_or_default()
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
    }
}
