//! The HTTP edge over real connections: which host names are answered
//! (DNS rebinding), whose page the cache serves, pages too big to cache,
//! oversized bodies, and who may make Berth fetch now.

mod common;

use std::net::IpAddr;

use berth::{http::CacheLimits, state::AppState};
use common::{Server, Upstream, ENV_FILES, T0};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn seeded() -> Upstream {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    // A branch off default in Dev, so writers of Stg-1 get a shortcut to it.
    upstream.commit(
        "Ann",
        T0 + 1,
        "dev app-a on feature-x",
        &[(
            "environments/dev.yaml",
            Some("app-a: feature-x\napp-b: master\n"),
        )],
    );
    upstream
}

fn port(server: &Server) -> u16 {
    server.base.rsplit(':').next().unwrap().parse().unwrap()
}

/// A GET with this `Host` header (as a browser sends it for a rebound name).
async fn get_as_host(server: &Server, path: &str, host: &str) -> (u16, String) {
    let response = server
        .client()
        .get(format!("{}{path}", server.base))
        .header("host", host)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Asserts the status of `GET path` under each `Host` name.
async fn expect_statuses(server: &Server, path: &str, cases: &[(String, u16)]) {
    for (host, expected) in cases {
        let (status, _) = get_as_host(server, path, host).await;
        assert_eq!(status, *expected, "Host: {host}");
    }
}

/// Sends raw bytes and returns the status line of the answer, for requests
/// reqwest will not make (no Host, chunked bodies).
async fn raw_status(server: &Server, head: String, body: Vec<Vec<u8>>) -> String {
    let stream = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let (mut read, mut write) = stream.into_split();
    // Written alongside reading: the server may answer before the body ends.
    let writer = tokio::spawn(async move {
        write.write_all(head.as_bytes()).await?;
        for chunk in body {
            write.write_all(&chunk).await?;
        }
        write.flush().await
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(n) = read.read(&mut buffer).await {
        if n == 0 || answer.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
        answer.extend_from_slice(&buffer[..n]);
    }
    writer.abort();
    let text = String::from_utf8_lossy(&answer).to_string();
    text.lines().next().unwrap_or("").to_string()
}

// --- host names -----------------------------------------------------------

#[tokio::test]
async fn a_rebound_name_is_refused_for_reads_and_writes_in_local_mode() {
    let upstream = seeded();
    let server = Server::start_with(&upstream, true, "[auth]\nadmins = [\"admin\"]\n").await;
    let evil = format!("evil.example:{}", port(&server));
    let evil_origin = format!("http://{evil}");

    let (status, body) = get_as_host(&server, "/", &evil).await;
    assert_eq!(status, 421, "{body}");
    assert!(body.contains("does not answer to the name"), "{body}");

    // The rebound page signs in as admin: to the browser it is same-origin.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = no_redirects
        .post(format!("{}/api/login", server.base))
        .header("host", &evil)
        .header("origin", &evil_origin)
        .header("accept", "text/html")
        .form(&[("user", "admin"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 421);
    assert!(login.headers().get("set-cookie").is_none());

    // Even holding a session, a promotion sent under the foreign name lands
    // nowhere.
    let before = upstream.head();
    let cookie = server.sign_in("admin").await;
    let promote = |host: String, origin: String| {
        server
            .client()
            .post(format!(
                "{}/api/v1/environments/stg-1/services/app-c",
                server.base
            ))
            .header("host", host)
            .header("origin", origin)
            .header("cookie", &cookie)
            .json(&json!({"branch": "feature-x"}))
            .send()
    };
    let refused = promote(evil.clone(), evil_origin.clone()).await.unwrap();
    assert_eq!(refused.status().as_u16(), 421);
    assert_eq!(upstream.head(), before, "no commit under a foreign name");
    // The same request under Berth's own name goes through: the refusal
    // above was the name, nothing else.
    let own = server.base.trim_start_matches("http://").to_string();
    let accepted = promote(own, server.base.clone()).await.unwrap();
    assert_eq!(accepted.status().as_u16(), 200);
    assert_ne!(upstream.head(), before);
}

#[tokio::test]
async fn loopback_names_on_the_listening_port_are_answered() {
    let upstream = seeded();
    let server = Server::start(&upstream, true).await;
    let port = port(&server);
    let ok = |host: &str| (host.to_string(), 200);
    let refused = |host: &str| (host.to_string(), 421);
    let cases = [
        ok(&format!("localhost:{port}")),
        ok(&format!("127.0.0.1:{port}")),
        ok(&format!("127.0.0.2:{port}")),
        ok(&format!("[::1]:{port}")),
        refused(&format!("localhost:{}", port.wrapping_add(1))),
        refused("localhost"),
        refused(&format!("berth.localhost:{port}")),
        refused(&format!("localhost.:{port}")),
        refused(&format!("10.0.0.1:{port}")),
    ];
    expect_statuses(&server, "/", &cases).await;
    // Health checkers address the pod by its IP.
    expect_statuses(&server, "/healthz", &[ok("10.1.2.3:3000")]).await;
    expect_statuses(&server, "/readyz", &[ok("10.1.2.3:3000")]).await;
    // HTTP/1.0 without a Host: nothing to check it against.
    let status = raw_status(&server, "GET / HTTP/1.0\r\n\r\n".into(), vec![]).await;
    assert!(status.contains(" 421 "), "{status}");
    // Malformed ways to name two hosts at once are refused outright.
    let good = format!("localhost:{port}");
    let two_hosts = format!("GET / HTTP/1.1\r\nHost: {good}\r\nHost: evil.example:{port}\r\n\r\n");
    let status = raw_status(&server, two_hosts, vec![]).await;
    assert!(status.contains(" 400 "), "{status}");
    let absolute = format!("GET http://evil.example:{port}/ HTTP/1.1\r\nHost: {good}\r\n\r\n");
    let status = raw_status(&server, absolute, vec![]).await;
    assert!(status.contains(" 400 "), "{status}");
    let same = format!("GET http://{good}/ HTTP/1.1\r\nHost: {good}\r\nConnection: close\r\n\r\n");
    let status = raw_status(&server, same, vec![]).await;
    assert!(status.contains(" 200 "), "{status}");
}

#[tokio::test]
async fn allowed_hosts_add_names_in_local_mode_and_restrict_other_modes() {
    let upstream = seeded();
    let local = Server::start_edited(&upstream, true, "", |c| {
        c.allowed_hosts = vec!["berth.localhost".into()];
    })
    .await;
    let port = port(&local);
    let cases = [
        (format!("berth.localhost:{port}"), 200),
        (format!("localhost:{port}"), 200),
        (format!("evil.example:{port}"), 421),
    ];
    expect_statuses(&local, "/", &cases).await;

    let proxied = Server::start_edited(&upstream, true, PROXY, |c| {
        c.allowed_hosts = vec!["berth.example.com".into(), "10.0.0.7:8080".into()];
    })
    .await;
    let own = proxied.base.trim_start_matches("http://");
    let cases = [
        ("berth.example.com", 200),
        ("BERTH.example.com:443", 200),
        ("10.0.0.7:8080", 200),
        ("10.0.0.7:8081", 421),
        ("evil.example", 421),
        // Loopback is not implied outside local mode.
        (own, 421),
    ];
    let cases: Vec<_> = cases.iter().map(|(h, s)| (h.to_string(), *s)).collect();
    expect_statuses(&proxied, "/", &cases).await;
    expect_statuses(&proxied, "/healthz", &[("10.1.2.3:3000".into(), 200)]).await;

    // Without allowed_hosts a proxied Berth answers any name, as before.
    let open = Server::start_with(&upstream, true, PROXY).await;
    assert_eq!(get_as_host(&open, "/", "anything.example").await.0, 200);
}

// --- the page cache ---------------------------------------------------------

/// The proxy is 127.0.0.2; requests from 127.0.0.1 are a client going
/// around it.
const PROXY: &str = r#"
[auth]
mode = "trusted-proxy"
trusted_proxies = ["127.0.0.2"]
admins = ["root"]
"#;

fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn overview_as(client: &reqwest::Client, server: &Server, user: &str) -> String {
    let response = client
        .get(format!("{}/", server.base))
        .header("x-forwarded-user", user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.unwrap()
}

const ADMIN_LINK: &str = "href=\"/promote?env=stg-1&";

#[tokio::test]
async fn cached_pages_follow_the_person_behind_a_trusted_proxy() {
    let upstream = seeded();
    let server = Server::start_with(&upstream, true, PROXY).await;
    let proxy = client_from("127.0.0.2");
    let page = overview_as(&proxy, &server, "root").await;
    assert!(
        page.contains("data-user=\"root\""),
        "the admin sees their name"
    );
    assert!(page.contains(ADMIN_LINK), "and may change Stg-1");
    // Within the cache second, a developer through the same proxy.
    let page = overview_as(&proxy, &server, "dave").await;
    assert!(page.contains("data-user=\"dave\""));
    assert!(!page.contains("data-user=\"root\""));
    assert!(!page.contains(ADMIN_LINK));
    // A client going around the proxy is nobody, and gets nobody's page.
    let sneaky = client_from("127.0.0.1");
    let page = overview_as(&sneaky, &server, "root").await;
    assert!(!page.contains("data-user="));
    assert!(!page.contains(ADMIN_LINK));
}

#[tokio::test]
async fn an_untrusted_client_cannot_poison_a_cached_page() {
    let upstream = seeded();
    let server = Server::start_with(&upstream, true, PROXY).await;
    // First in the cache second: a client claiming to be the admin.
    let sneaky = client_from("127.0.0.1");
    let page = overview_as(&sneaky, &server, "root").await;
    assert!(!page.contains("data-user=\"root\""));
    let page = overview_as(&client_from("127.0.0.2"), &server, "root").await;
    assert!(
        page.contains("data-user=\"root\""),
        "the admin gets their own page"
    );
    assert!(page.contains(ADMIN_LINK));
}

/// Berth over HTTP with its own page cache limits.
struct Limited {
    base: String,
    _state: AppState,
    _data: tempfile::TempDir,
}

async fn start_with_cache_limits(upstream: &Upstream, limits: CacheLimits) -> Limited {
    let data = tempfile::tempdir().unwrap();
    let config = common::config_for(upstream, data.path());
    let state = berth::startup::build_state(config).await.unwrap();
    state.read_model.refresh().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = berth::http::router_with_cache(state.clone(), limits);
    tokio::spawn(async move { berth::http::serve(listener, router).await });
    Limited {
        base,
        _state: state,
        _data: data,
    }
}

#[tokio::test]
async fn a_page_too_big_to_cache_is_served_whole() {
    let upstream = seeded();
    let server = start_with_cache_limits(
        &upstream,
        CacheLimits {
            max_body: 1024,
            ..CacheLimits::default()
        },
    )
    .await;
    // The second request takes the "known too big" path.
    for _ in 0..2 {
        let response = reqwest::get(format!("{}/", server.base)).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let page = response.text().await.unwrap();
        assert!(page.len() > 1024);
        // The shell and the data streamed after it.
        assert!(page.contains("</html>"));
        assert!(page.contains("data-env=\"stg-1\""), "the whole page");
    }
}

// --- request bodies -----------------------------------------------------------

#[tokio::test]
async fn oversized_bodies_get_413_and_nothing_is_written() {
    let upstream = seeded();
    let server = Server::start(&upstream, true).await;
    let before = upstream.head();
    let token = server.token("ann").await;
    // Between the 1 MiB limit and axum's own 2 MB default.
    let big = "a".repeat(2_000_000);

    let response = server
        .client()
        .post(format!("{}/api/v1/sandboxes", server.base))
        .bearer_auth(&token)
        .json(&json!({"name": "huge", "keys": big}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("larger than"),
        "{body}"
    );

    let response = server
        .client()
        .post(format!("{}/api/login", server.base))
        .header("origin", &server.base)
        .form(&[("user", big.as_str()), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert!(response.headers().get("set-cookie").is_none());

    // Chunked, so no Content-Length to judge by.
    let own = server.base.trim_start_matches("http://");
    let chunks = |prefix: &str| -> Vec<Vec<u8>> {
        let mut out = vec![format!("{:x}\r\n{prefix}\r\n", prefix.len()).into_bytes()];
        for _ in 0..32 {
            let data = "a".repeat(64 * 1024);
            out.push(format!("{:x}\r\n{data}\r\n", data.len()).into_bytes());
        }
        out.push(b"0\r\n\r\n".to_vec());
        out
    };
    let head = format!(
        "POST /api/login HTTP/1.1\r\nHost: {own}\r\nOrigin: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        server.base
    );
    let status = raw_status(&server, head, chunks("next=/&user=")).await;
    assert!(status.contains(" 413 "), "{status}");
    let head = format!(
        "POST /api/v1/sandboxes HTTP/1.1\r\nHost: {own}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let status = raw_status(&server, head, chunks("{\"name\":\"huge\",\"keys\":\"")).await;
    assert!(status.contains(" 413 "), "{status}");

    assert_eq!(upstream.head(), before, "nothing was committed");
    let sandboxes = server.json("/api/v1/sandboxes").await;
    assert!(!sandboxes.to_string().contains("huge"));
}

// --- Refresh -------------------------------------------------------------------

/// Presses Refresh the way the page's script does; returns the status.
async fn press_with_script(client: reqwest::Client, base: String, cookie: Option<String>) -> u16 {
    let mut request = client
        .post(format!("{base}/api/refresh_now"))
        .header("origin", &base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn refresh_needs_a_signed_in_person_and_presses_share_fetches() {
    let upstream = seeded();
    let server = Server::start(&upstream, true).await;
    let model = server.read_model();
    let start = model.refreshes();
    let press = |cookie| press_with_script(server.client().clone(), server.base.clone(), cookie);

    assert_eq!(press(None).await, 401);
    // Without JavaScript the answer goes back to the page.
    server.press_refresh_as(None).await;
    assert_eq!(model.refreshes(), start, "anonymous presses fetch nothing");
    let (_, page) = server.get("/").await;
    assert!(!page.contains("class=\"refresh\""), "nobody gets no button");

    let cookie = server.sign_in("ann").await;
    let signed_in = server.client().get(format!("{}/", server.base));
    let page = signed_in.header("cookie", &cookie).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(
        page.contains("class=\"refresh\""),
        "a signed-in person does"
    );

    let presses: Vec<_> = (0..20)
        .map(|_| tokio::spawn(press(Some(cookie.clone()))))
        .collect();
    for press in presses {
        assert_eq!(press.await.unwrap(), 200);
    }
    let fetches = model.refreshes() - start;
    assert!(
        (1..=2).contains(&fetches),
        "{fetches} fetches for 20 presses"
    );

    // Right after, a press gets the data as it is.
    let now = model.refreshes();
    assert_eq!(press(Some(cookie.clone())).await, 200);
    assert_eq!(model.refreshes(), now, "a press within 5 s fetches nothing");
}
