use super::*;

const SECRET: &[u8] = b"It's a Secret to Everybody";

#[test]
fn githubs_own_example_signature_verifies() {
    // The example in GitHub's "Validating webhook deliveries" docs.
    let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert_eq!(verify(SECRET, b"Hello, World!", Some(header)), Ok(()));
    assert_eq!(sign(SECRET, b"Hello, World!"), header);
}

#[test]
fn forged_missing_and_malformed_signatures_are_refused() {
    let body = b"{\"zen\":\"hi\"}";
    let good = sign(SECRET, body);
    assert_eq!(verify(SECRET, body, Some(&good)), Ok(()));
    assert_eq!(
        verify(b"another secret", body, Some(&good)),
        Err(Refusal::BadSignature)
    );
    assert_eq!(
        verify(SECRET, b"{\"zen\":\"ho\"}", Some(&good)),
        Err(Refusal::BadSignature)
    );
    assert_eq!(verify(SECRET, body, None), Err(Refusal::MissingSignature));
    for bad in [
        &good[..good.len() - 2],
        good.trim_start_matches("sha256="),
        "sha1=0123",
        &good.replace("sha256=", "sha256=zz")[..71],
    ] {
        assert_eq!(
            verify(SECRET, body, Some(bad)),
            Err(Refusal::MalformedSignature),
            "{bad}"
        );
    }
}

const SHA_A: &str = "1111111111111111111111111111111111111111";
const SHA_B: &str = "2222222222222222222222222222222222222222";

#[test]
fn a_push_lists_its_commits_oldest_first() {
    let body = serde_json::json!({
        "ref": "refs/heads/main",
        "before": SHA_A,
        "after": SHA_B,
        "repository": { "full_name": "photos/app-a" },
        "commits": [
            { "id": SHA_A, "message": "Add login\n\nLong text", "timestamp": "2026-12-01T10:00:00+01:00",
              "author": { "name": "Ann Lee", "username": "ann" }, "distinct": true },
            { "id": SHA_B, "message": "Fix typo", "timestamp": "2026-12-01T09:30:00Z",
              "author": { "name": "Bo" } }
        ]
    });
    let Event::Push(push) = parse("push", body.to_string().as_bytes()).unwrap() else {
        panic!("not a push");
    };
    assert_eq!(push.branch, "main");
    assert_eq!(push.after, SHA_B);
    assert_eq!(push.commits.len(), 2);
    assert_eq!(push.commits[0].message, "Add login");
    assert_eq!(push.commits[0].author, "ann");
    assert_eq!(push.commits[0].at, 1_796_115_600);
    assert_eq!(push.commits[1].author, "Bo");
}

#[test]
fn a_completed_run_is_a_build_and_others_are_ignored() {
    let run = |action: &str, conclusion: Option<&str>| {
        serde_json::json!({
            "action": action,
            "repository": { "full_name": "photos/app-a" },
            "workflow_run": { "name": "build", "path": ".github/workflows/build.yml",
                              "event": "push", "head_repository": { "full_name": "photos/app-a" },
                              "head_branch": "feature/x", "head_sha": SHA_A,
                              "conclusion": conclusion, "updated_at": "2026-12-01T10:00:00Z" }
        })
        .to_string()
    };
    let Event::Run(build) =
        parse("workflow_run", run("completed", Some("success")).as_bytes()).unwrap()
    else {
        panic!("not a build");
    };
    assert!(build.success);
    assert_eq!(build.branch, "feature/x");
    assert_eq!(build.workflow_path, ".github/workflows/build.yml");
    let Event::Run(red) =
        parse("workflow_run", run("completed", Some("failure")).as_bytes()).unwrap()
    else {
        panic!("not a build");
    };
    assert!(!red.success);
    assert!(matches!(
        parse("workflow_run", run("in_progress", None).as_bytes()),
        Ok(Event::RunStarted(_))
    ));
    assert!(matches!(
        parse(
            "workflow_run",
            run("completed", Some("cancelled")).as_bytes()
        ),
        Ok(Event::Ignored(_))
    ));
    assert!(matches!(parse("issues", b"{}"), Ok(Event::Ignored(_))));
}

#[test]
fn runs_of_pull_requests_and_forks_are_no_builds() {
    let green = |event: &str, head: &str| {
        let body = serde_json::json!({
            "action": "completed",
            "repository": { "full_name": "photos/app-a" },
            "workflow_run": { "name": "build", "event": event,
                              "head_repository": { "full_name": head },
                              "head_branch": "main", "head_sha": SHA_A,
                              "conclusion": "success", "updated_at": "2026-12-01T10:00:00Z" }
        });
        parse("workflow_run", body.to_string().as_bytes()).unwrap()
    };
    assert!(matches!(green("push", "photos/app-a"), Event::Run(_)));
    assert!(matches!(
        green("workflow_dispatch", "photos/app-a"),
        Event::Run(_)
    ));
    // A fork's `main`, built for its pull request, is not the repository's.
    assert_eq!(
        green("pull_request", "mallory/app-a"),
        Event::Ignored("a workflow run of another repository's branch".into())
    );
    assert_eq!(
        green("pull_request", "photos/app-a"),
        Event::Ignored("a workflow run started by pull_request".into())
    );
}

#[test]
fn commit_text_is_kept_as_one_visible_line() {
    let body = serde_json::json!({
        "ref": "refs/heads/main", "after": SHA_A,
        "repository": { "full_name": "photos/app-a" },
        "commits": [{ "id": SHA_A, "message": "Fix\u{202e}gnp.exe\tnow\nbody",
                      "timestamp": "2026-12-01T10:00:00Z",
                      "author": { "name": "Ann\u{200b}\u{7}" } }]
    });
    let Ok(Event::Push(push)) = parse("push", body.to_string().as_bytes()) else {
        panic!("not a push");
    };
    assert_eq!(push.commits[0].message, "Fix gnp.exe now");
    assert_eq!(push.commits[0].author, "Ann  ");
}

#[test]
fn truncated_or_wrong_payloads_are_malformed() {
    let body = serde_json::json!({
        "ref": "refs/heads/main", "after": SHA_B,
        "repository": { "full_name": "photos/app-a" }, "commits": []
    })
    .to_string();
    assert!(matches!(parse("push", body.as_bytes()), Ok(Event::Push(_))));
    let truncated = &body.as_bytes()[..body.len() / 2];
    assert_eq!(
        parse("push", truncated).unwrap_err().kind(),
        "malformed_body"
    );
    let bad_sha = body.replace(SHA_B, "HEAD");
    assert_eq!(
        parse("push", bad_sha.as_bytes()).unwrap_err().kind(),
        "malformed_body"
    );
}
