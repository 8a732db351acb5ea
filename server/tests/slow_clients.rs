//! Slow or half-open clients cannot hold Berth's sockets: request headers
//! have a deadline and only so many connections are served at once.

mod common;

use std::time::{Duration, Instant};

use berth::http::ServeLimits;
use common::{Upstream, ENV_FILES, T0};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

async fn start(limits: ServeLimits) -> (String, tempfile::TempDir, Upstream) {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let data = tempfile::tempdir().unwrap();
    let config = common::config_for(&upstream, data.path());
    let state = berth::startup::build_state(config).await.unwrap();
    state.read_model.refresh().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let router = berth::http::router(state);
    tokio::spawn(async move { berth::http::serve_with(listener, router, limits).await });
    (addr, data, upstream)
}

/// Sends headers that never end and returns how long until Berth hangs up.
async fn hang_up_after(addr: &str) -> Duration {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\nX-Slow: 1\r\n").as_bytes())
        .await
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    // Either a 408 answer then the close, or the close alone.
    while let Ok(Ok(n)) =
        tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await
    {
        if n == 0 {
            break;
        }
    }
    started.elapsed()
}

async fn status_of_readyz(addr: &str) -> Option<u16> {
    let request = reqwest::Client::new()
        .get(format!("http://{addr}/readyz"))
        .timeout(Duration::from_secs(3))
        .send();
    request.await.ok().map(|r| r.status().as_u16())
}

#[tokio::test]
async fn headers_that_never_end_are_cut_off() {
    let limits = ServeLimits {
        header_timeout: Duration::from_secs(1),
        max_connections: 64,
    };
    let (addr, _data, _upstream) = start(limits).await;
    let waited = hang_up_after(&addr).await;
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "hung up after {waited:?}"
    );
    assert_eq!(status_of_readyz(&addr).await, Some(200));
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_their_turn() {
    let limits = ServeLimits {
        header_timeout: Duration::from_secs(1),
        max_connections: 4,
    };
    let (addr, _data, _upstream) = start(limits).await;
    // Four half-open clients hold every slot...
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // ...so a fifth request waits, and is answered once the header
    // deadline has freed a slot.
    let started = Instant::now();
    assert_eq!(status_of_readyz(&addr).await, Some(200));
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "answered after {:?}, while every slot was held",
        started.elapsed()
    );
}
