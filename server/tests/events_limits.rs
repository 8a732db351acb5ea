//! Open pages follow live changes in event streams, and those are shared
//! fairly: one address may hold a few, not every slot, and a page that
//! closes gives its place back.

mod common;

use std::{
    net::IpAddr,
    time::{Duration, Instant},
};

/// A browser at `ip` (any 127.x.y.z reaches the loopback server).
fn browser_at(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(ip))
        .build()
        .unwrap()
}

async fn follow(browser: &reqwest::Client, server: &common::Server) -> reqwest::Response {
    browser
        .get(format!("{}/api/v1/events", server.base))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn one_address_follows_in_eight_pages_others_still_get_in_and_a_closed_page_frees_its_place()
{
    let upstream = common::Upstream::new();
    upstream.commit("Ann", common::T0, "environments", common::ENV_FILES);
    let server = common::Server::start(&upstream, true).await;
    let ann = browser_at([127, 0, 0, 1]);
    let mut pages = Vec::new();
    for _ in 0..8 {
        let page = follow(&ann, &server).await;
        assert_eq!(page.status(), 200);
        pages.push(page);
    }
    let ninth = follow(&ann, &server).await;
    assert_eq!(ninth.status(), 429);
    let why = ninth.text().await.unwrap();
    assert!(why.contains("too many pages at this address"), "{why}");

    let bob = browser_at([127, 0, 0, 2]);
    assert_eq!(follow(&bob, &server).await.status(), 200);
    // Pages and the JSON API are not limited by it.
    assert_eq!(server.get("/").await.0, 200);

    // Ann closes a tab: the server notices, and she may open another.
    drop(pages.pop());
    let start = Instant::now();
    loop {
        let page = follow(&ann, &server).await;
        if page.status() == 200 {
            break;
        }
        assert_eq!(page.status(), 429);
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the closed page's place is still taken"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("a closed page's place was free in {:?}", start.elapsed());
}
