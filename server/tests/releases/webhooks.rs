use berth::release::github::sign;
use serde_json::{json, Value};

use super::setup::*;

#[tokio::test]
async fn webhooks_are_verified_and_refusals_write_nothing() {
    let s = setup().await;
    let body = run("feature/x", F1, "success").to_string();
    let good = sign(SECRET.as_bytes(), body.as_bytes());
    let forged = sign(b"another secret", body.as_bytes());
    let (status, _) = s
        .deliver("workflow_run", "d-1", body.as_bytes(), Some(forged))
        .await;
    assert_eq!(status, 401);
    let (status, _) = s
        .deliver("workflow_run", "d-1", body.as_bytes(), None)
        .await;
    assert_eq!(status, 401);
    // Signed, but cut short on the way: the signature no longer matches.
    let (status, _) = s
        .deliver(
            "workflow_run",
            "d-1",
            &body.as_bytes()[..body.len() / 2],
            Some(good.clone()),
        )
        .await;
    assert_eq!(status, 401);
    // Signed as sent, but not the JSON of a run.
    let truncated = &body.as_bytes()[..body.len() / 2];
    let signed_truncated = sign(SECRET.as_bytes(), truncated);
    let (status, answer) = s
        .deliver("workflow_run", "d-2", truncated, Some(signed_truncated))
        .await;
    assert_eq!(status, 400, "{answer}");
    let huge = vec![b' '; 70_000];
    let (status, _) = s
        .deliver(
            "workflow_run",
            "d-3",
            &huge,
            Some(sign(SECRET.as_bytes(), &huge)),
        )
        .await;
    assert_eq!(status, 413);
    assert_eq!(
        s.builds_of("feature/x").await,
        None,
        "a refusal wrote a build"
    );
    assert_eq!(s.tag_of("app-a-stg-1"), "old-0000000");
    // A green lint run is no build: its tag was never pushed.
    let mut lint = run("feature/x", F1, "success");
    lint["workflow_run"]["name"] = json!("lint");
    lint["workflow_run"]["path"] = json!(".github/workflows/lint.yml");
    let (status, answer) = s.signed("workflow_run", "d-5", &lint).await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (202, Some("ignored: not a build workflow"))
    );
    assert_eq!(s.builds_of("feature/x").await, None);
    // What was ignored keeps no claim: redelivered (once the workflow is
    // named, say) it is looked at again, not "already handled".
    let (status, answer) = s.signed("workflow_run", "d-5", &lint).await;
    assert_eq!(status, 202, "{answer}");
    // A forged push adds nothing to the prod pipeline either.
    let pushed = push(&[C1]).to_string();
    let (status, _) = s
        .deliver(
            "push",
            "d-4",
            pushed.as_bytes(),
            Some(sign(b"another secret", pushed.as_bytes())),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(
        s.stage_of(C1).await,
        "",
        "a forged push reached the pipeline"
    );

    let (status, answer) = s
        .deliver("workflow_run", "d-9", body.as_bytes(), Some(good.clone()))
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        s.builds_of("feature/x").await.as_deref(),
        Some("feature-x-f1f1f1f")
    );
    // GitHub redelivers: nothing happens twice.
    let (status, answer) = s
        .deliver("workflow_run", "d-9", body.as_bytes(), Some(good))
        .await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (200, Some("already handled this delivery"))
    );
    // The same delivery twice at the same moment (a redelivery racing
    // the original) pushes one commit once.
    let pushed = push(&[C1]);
    let (first, second) = tokio::join!(
        s.signed("push", "d-11", &pushed),
        s.signed("push", "d-11", &pushed)
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [200, 200]);
    let messages = [&first.1["message"], &second.1["message"]];
    assert!(
        messages.contains(&&json!("already handled this delivery")),
        "{messages:?}"
    );
    assert_eq!(s.stage_of(C1).await, "pushed");
    let (status, _) = s
        .signed("issues", "d-10", &json!({ "action": "opened" }))
        .await;
    assert_eq!(status, 202);

    let counters = s.server.json("/api/v1/hooks/github").await;
    assert_eq!(counters["accepted"], 2);
    assert_eq!(counters["duplicate"], 2);
    assert_eq!(counters["ignored"], 3);
    assert_eq!(counters["refused"]["bad_signature"], 3);
    assert_eq!(counters["refused"]["missing_signature"], 1);
    assert_eq!(counters["refused"]["malformed_body"], 1);
    assert_eq!(counters["refused"]["too_large"], 1);
}

#[tokio::test]
async fn build_reports_need_the_ci_role_and_valid_fields() {
    let s = setup().await;
    let developer = s.server.token("ann").await;
    let ci = s.server.token("ci").await;
    let build = json!({ "service": "app-a", "branch": "main", "sha": C1,
                        "image_tag": "main-c1c1c1c", "result": "success" });
    let post = |token: Option<String>, body: Value| {
        let server = &s.server;
        async move {
            server
                .send(
                    reqwest::Method::POST,
                    "/api/v1/builds",
                    token.as_deref(),
                    Some(body),
                )
                .await
        }
    };
    assert_eq!(post(None, build.clone()).await.0, 401);
    let (status, answer) = post(Some(developer), build.clone()).await;
    assert_eq!(status, 403, "{answer}");
    let bad = json!({ "service": "nope", "branch": "a..b", "sha": "HEAD",
                      "image_tag": "has space", "result": "success" });
    let (status, answer) = post(Some(ci.clone()), bad).await;
    assert_eq!(status, 400);
    let message = answer["error"].as_str().unwrap();
    for part in ["nope", "a..b", "HEAD", "has space"] {
        assert!(message.contains(part), "{message}");
    }
    let (status, _) = post(Some(ci.clone()), json!({ "service": "app-a" })).await;
    assert_eq!(status, 400);
    assert_eq!(s.builds_of("main").await, None);
    // A CI token changes no file.
    let (status, _) = s
        .server
        .send(
            reqwest::Method::POST,
            "/api/v1/sandboxes",
            Some(&ci),
            Some(json!({ "name": "ci-box", "ssh_public_keys": [] })),
        )
        .await;
    assert_eq!(status, 403);
    // A tag names one commit: another commit under the same tag is refused.
    let (status, answer) = post(Some(ci.clone()), build.clone()).await;
    assert_eq!(status, 201, "{answer}");
    let mut other = build;
    other["sha"] = json!(C2);
    let (status, answer) = post(Some(ci), other).await;
    assert_eq!(status, 409, "{answer}");
    let message = answer["error"].as_str().unwrap();
    assert!(
        message.contains("already names commit c1c1c1c"),
        "{message}"
    );
}

#[tokio::test]
async fn builds_reported_at_once_are_all_stored() {
    let s = setup().await;
    let ci = s.server.token("ci").await;
    let reports = (0..24).map(|i| {
        let sha = format!("{:07x}{:033x}", i + 1, i);
        let build = json!({ "service": "app-a", "branch": "feature/x", "sha": sha,
                            "image_tag": format!("feature-x-{}", &sha[..7]), "result": "success" });
        let (server, ci) = (&s.server, ci.clone());
        async move {
            server
                .send(
                    reqwest::Method::POST,
                    "/api/v1/builds",
                    Some(&ci),
                    Some(build),
                )
                .await
        }
    });
    for (status, answer) in futures::future::join_all(reports).await {
        assert_eq!(status, 201, "{answer}");
    }
}
