//! Who is acting: local sign-in, a trusted proxy's headers, and that a
//! signed-in page is never served to someone else.

mod common;

use common::{git, Server, Upstream, ENV_FILES, T0};
use serde_json::json;

async fn setup() -> (Upstream, Server) {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let server = Server::start(&upstream, true).await;
    (upstream, server)
}

/// Signs in through the login form the way a browser without JavaScript
/// does, and returns the session cookie.
async fn sign_in(server: &Server, user: &str) -> String {
    // Not following the redirect, to see the cookie it sets.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(format!("{}/api/login", server.base))
        .header("origin", &server.base)
        .header("accept", "text/html")
        .form(&[("user", user), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_string()
}

async fn overview_with(server: &Server, cookie: &str) -> String {
    let response = server
        .client()
        .get(format!("{}/", server.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    response.text().await.unwrap()
}

#[tokio::test]
async fn cached_pages_are_never_shared_between_people() {
    let (_upstream, server) = setup().await;
    let ann = sign_in(&server, "ann").await;
    let bob = sign_in(&server, "bob").await;
    for _ in 0..2 {
        for (cookie, me, other) in [(&ann, "ann", "bob"), (&bob, "bob", "ann")] {
            let page = overview_with(&server, cookie).await;
            assert!(
                page.contains(&format!("data-user=\"{me}\"")),
                "{me} sees their name"
            );
            assert!(!page.contains(&format!("data-user=\"{other}\"")));
        }
    }
    // A forged cookie is nobody.
    let page = overview_with(&server, "berth_session=root.99999999999.00").await;
    assert!(!page.contains("data-user="));
    assert!(page.contains("Sign in"));
}

const PROXY: &str = r#"
[auth]
mode = "trusted-proxy"
trusted_proxies = ["127.0.0.1"]
qa = ["group:qa"]
"#;

/// A write as oauth2-proxy would forward it from a browser.
async fn proxied_promotion(server: &Server, user: &str, groups: &str) -> u16 {
    server
        .client()
        .post(format!(
            "{}/api/v1/environments/stg-1/services/app-c",
            server.base
        ))
        .header("origin", &server.base)
        .header("x-forwarded-user", user)
        .header("x-forwarded-groups", groups)
        // The client claimed 203.0.113.9; the proxy appended the address
        // it really heard from.
        .header("x-forwarded-for", "203.0.113.9, 198.51.100.7")
        .json(&json!({"branch": "feature-x"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_identity_and_groups_come_from_its_headers() {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let server = Server::start_with(&upstream, true, PROXY).await;
    assert_eq!(proxied_promotion(&server, "dave", "dev,eng").await, 403);
    assert_eq!(proxied_promotion(&server, "quinn", "eng, qa").await, 200);
    let author = git(&upstream.bare, &["log", "-1", "--format=%an", "main"], &[]);
    assert_eq!(author, "quinn");
    let entries = server
        .state
        .actions
        .store
        .audit(&Default::default())
        .await
        .unwrap();
    assert_eq!(entries[0].actor, "quinn");
    assert_eq!(entries[0].via, "proxy");
    assert_eq!(
        entries[0].remote.as_deref(),
        Some("198.51.100.7"),
        "the address the proxy appended, not the one the client claimed"
    );
    assert_eq!(
        entries[1].outcome, "refused",
        "dave's attempt is recorded too"
    );
    // Local sign-in is off in this mode.
    let (status, page) = server.get("/login").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("company login"),
        "the page explains where to sign in"
    );
}

#[tokio::test]
async fn identity_headers_from_an_untrusted_address_are_ignored() {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let extra = PROXY.replace("127.0.0.1", "10.9.9.9");
    let server = Server::start_with(&upstream, true, &extra).await;
    let before = upstream.head();
    assert_eq!(proxied_promotion(&server, "quinn", "qa").await, 401);
    assert_eq!(upstream.head(), before);
}

#[tokio::test]
async fn local_sign_in_is_refused_on_a_public_address() {
    let upstream = Upstream::new();
    let data = tempfile::tempdir().unwrap();
    let mut config = common::config_for(&upstream, data.path());
    config.listen = "0.0.0.0:3000".parse().unwrap();
    let err = berth::startup::build_state(config)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("only allows it on a loopback address"),
        "{err}"
    );
}

#[tokio::test]
async fn a_proxy_user_name_berth_cannot_use_is_refused_and_writes_nothing() {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let server = Server::start_with(&upstream, true, PROXY).await;
    let before = upstream.head();
    for user in ["quinn;$(id)", "quinn\tBerth-Actor: admin", "qu inn", ""] {
        let status = proxied_promotion(&server, user, "qa").await;
        assert!(status == 403 || status == 401, "{user:?} answered {status}");
    }
    assert_eq!(upstream.head(), before, "nothing was committed");
    let (status, page) = server.get("/").await;
    assert_eq!(status, 200, "anonymous pages still work");
    assert!(!page.contains("$(id)"));
}

#[tokio::test]
async fn refusals_behind_a_proxy_name_the_client_and_the_user_it_named() {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let server = Server::start_with(&upstream, true, PROXY).await;
    // A cross-site form forwarded by the proxy for two different clients:
    // each is counted against its own address, not the proxy's.
    for client in ["203.0.113.7", "198.51.100.8"] {
        let status = server
            .client()
            .post(format!("{}/api/create_sandbox", server.base))
            .header("origin", "http://evil.example")
            .header("x-forwarded-user", "victim")
            .header("x-forwarded-for", client)
            .form(&[("name", "forged"), ("keys", "x")])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(status, 403);
    }
    let entries = server
        .state
        .actions
        .store
        .audit(&Default::default())
        .await
        .unwrap();
    let remotes: Vec<_> = entries.iter().map(|e| e.remote.clone()).collect();
    assert_eq!(
        remotes,
        [Some("198.51.100.8".into()), Some("203.0.113.7".into())]
    );
    assert!(entries
        .iter()
        .all(|e| e.actor == "victim" && e.via == "proxy"));
}
