//! Sessions and API tokens end when they should: signing out ends a
//! session on the server, tokens expire and cannot mint tokens, and the
//! sign-in redirect never leaves the site.

mod common;

use berth::auth::hash_token;
use common::{Server, Upstream, ENV_FILES, T0};

async fn setup(extra: &str) -> (Upstream, Server) {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let server = Server::start_with(&upstream, true, extra).await;
    (upstream, server)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts the login form as a browser without JavaScript; returns the
/// response (not following its redirect).
async fn login(server: &Server, user: &str, next: &str) -> reqwest::Response {
    no_redirects()
        .post(format!("{}/api/login", server.base))
        .header("origin", &server.base)
        .header("accept", "text/html")
        .form(&[("user", user), ("next", next)])
        .send()
        .await
        .unwrap()
}

async fn sign_in(server: &Server, user: &str) -> String {
    let response = login(server, user, "/").await;
    assert_eq!(response.status().as_u16(), 302);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_string()
}

/// Who the overview says is signed in with this cookie.
async fn signed_in_as(server: &Server, cookie: &str) -> Option<String> {
    let page = server
        .client()
        .get(format!("{}/sandboxes", server.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = page.find("data-user=\"")? + "data-user=\"".len();
    Some(page[at..].split('"').next()?.to_string())
}

async fn sign_out(server: &Server, cookie: &str, everywhere: bool) -> u16 {
    let mut form = vec![];
    if everywhere {
        form.push(("everywhere", "true"));
    }
    no_redirects()
        .post(format!("{}/api/logout", server.base))
        .header("origin", &server.base)
        .header("accept", "text/html")
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_signed_out_cookie_is_nobody_even_if_replayed() {
    let (_upstream, server) = setup("").await;
    let cookie = sign_in(&server, "ann").await;
    assert_eq!(signed_in_as(&server, &cookie).await.as_deref(), Some("ann"));
    assert_eq!(sign_out(&server, &cookie, false).await, 302);
    assert_eq!(
        signed_in_as(&server, &cookie).await,
        None,
        "a copy of the cookie kept after signing out no longer works"
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_that_person_only() {
    let (_upstream, server) = setup("").await;
    let laptop = sign_in(&server, "ann").await;
    let phone = sign_in(&server, "ann").await;
    let bob = sign_in(&server, "bob").await;
    assert_eq!(sign_out(&server, &phone, true).await, 302);
    assert_eq!(signed_in_as(&server, &laptop).await, None);
    assert_eq!(signed_in_as(&server, &phone).await, None);
    assert_eq!(signed_in_as(&server, &bob).await.as_deref(), Some("bob"));
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let (_upstream, server) = setup("").await;
    let store = &server.state.actions.store;
    let now = berth::clock::unix_now();
    for (token, expires) in [("berth_expired", now - 1), ("berth_live", now + 3600)] {
        store
            .create_token("ann", "t", &hash_token(token), &[], now - 10, expires)
            .await
            .unwrap();
    }
    let (status, body) = server
        .send(
            reqwest::Method::GET,
            "/api/v1/audit",
            Some("berth_expired"),
            None,
        )
        .await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = server
        .send(
            reqwest::Method::GET,
            "/api/v1/audit",
            Some("berth_live"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let listed = store.tokens("ann", now).await.unwrap();
    assert_eq!(listed.len(), 1, "the expired token is no longer listed");
    assert!(listed[0].expires_at.is_some_and(|at| at > now));
}

#[tokio::test]
async fn a_token_cannot_mint_tokens_and_lifetimes_are_bounded() {
    let (_upstream, server) = setup("").await;
    let token = server.token("ann").await;
    let response = server
        .client()
        .post(format!("{}/api/create_token", server.base))
        .bearer_auth(&token)
        .form(&[("label", "child"), ("days", "365")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let now = berth::clock::unix_now();
    let tokens = server.state.actions.store.tokens("ann", now).await.unwrap();
    assert_eq!(tokens.len(), 1, "no token was created by the token");
    let err = server
        .state
        .actions
        .issue_token("ann", "forever", &[], 100_000)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("1 to 365 days"), "{err}");
}

#[tokio::test]
async fn the_new_token_cookie_is_secure_when_sessions_are() {
    let (_upstream, server) = setup("[auth]\nsecure_cookies = true\n").await;
    let cookie = sign_in(&server, "ann").await;
    let response = no_redirects()
        .post(format!("{}/api/create_token", server.base))
        .header("origin", &server.base)
        .header("accept", "text/html")
        .header("cookie", &cookie)
        .form(&[("label", "ci"), ("days", "7")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let set = response.headers()["set-cookie"].to_str().unwrap();
    assert!(set.starts_with("berth_new_token=berth_"), "{set}");
    assert!(set.ends_with("; Secure"), "{set}");
    let tokens = server
        .state
        .actions
        .store
        .tokens("ann", berth::clock::unix_now())
        .await
        .unwrap();
    let lives = tokens[0].expires_at.unwrap() - tokens[0].created_at;
    assert_eq!(lives, 7 * 86_400, "the token lives the days asked for");
}

#[tokio::test]
async fn sign_in_never_redirects_off_site_or_fails_on_odd_next() {
    let (_upstream, server) = setup("").await;
    for next in [
        "/%09/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/x\r\nSet-Cookie: owned=1",
        "/x%0d%0aSet-Cookie:owned=1",
    ] {
        let response = login(&server, "ann", next).await;
        assert_eq!(response.status().as_u16(), 302, "{next:?}");
        assert_eq!(response.headers()["location"], "/", "{next:?}");
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 1);
    }
    let response = login(&server, "ann", "/sandboxes?q=ann").await;
    assert_eq!(response.headers()["location"], "/sandboxes?q=ann");
}

#[tokio::test]
async fn a_signed_out_cookie_cannot_sign_its_person_out_everywhere() {
    let (_upstream, server) = setup("").await;
    let old = sign_in(&server, "ann").await;
    assert_eq!(sign_out(&server, &old, false).await, 302);
    let current = sign_in(&server, "ann").await;
    assert_eq!(sign_out(&server, &old, true).await, 302);
    assert_eq!(
        signed_in_as(&server, &current).await.as_deref(),
        Some("ann"),
        "a stale cookie ended nobody's session"
    );
}

#[tokio::test]
async fn pages_drawn_for_a_person_are_private_to_caches() {
    let (_upstream, server) = setup("").await;
    let control = |response: reqwest::Response| {
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let anonymous = server
        .client()
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(control(anonymous), "no-cache");
    let cookie = sign_in(&server, "ann").await;
    for _ in 0..2 {
        // The second answer comes from the page cache.
        let personal = server
            .client()
            .get(format!("{}/", server.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(control(personal), "private, no-cache");
    }
}
