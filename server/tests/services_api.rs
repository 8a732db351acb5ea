//! `GET /api/v1/services`: what a CI job needs to know about each service.

mod common;

use common::{Server, Upstream, ENV_FILES, T0};

#[tokio::test]
async fn services_are_listed_with_their_image_repository() {
    let upstream = Upstream::new();
    upstream.commit("Ann", T0, "environments", ENV_FILES);
    let server = Server::start_edited(&upstream, true, "", |config| {
        config.services[0].image = Some("registry.example.com/acme/app-a".into());
    })
    .await;
    let body = server.json("/api/v1/services").await;
    let services = body["services"].as_array().unwrap();
    let names: Vec<_> = services
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app-a", "app-b", "app-c"]);
    assert_eq!(services[0]["image"], "registry.example.com/acme/app-a");
    assert_eq!(
        services[0]["repo_url"],
        "https://git.example.com/acme/app-a"
    );
    assert_eq!(services[1]["default_branch"], "master");
    assert!(services[1]["image"].is_null());
}
