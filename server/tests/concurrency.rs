//! One hundred promotions at once against one bare repository while a
//! second clone pushes unrelated commits in between: every promotion
//! lands, none is lost, and no history is rewritten.

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Instant,
};

use common::{git, Server, Upstream, T0};
use reqwest::Method;
use serde_json::json;

const PROMOTIONS: usize = 100;

fn services_toml() -> String {
    (0..PROMOTIONS)
        .map(|i| format!("[[services]]\nname = \"svc-{i:03}\"\n"))
        .collect()
}

/// Commits a note from a clone of its own, the way a person pushing by hand
/// would: fetch, commit on top, push; try again when overtaken.
fn push_unrelated(bare: &std::path::Path, clone: &std::path::Path, n: usize) {
    let who = [
        ("GIT_AUTHOR_NAME", "Hand"),
        ("GIT_AUTHOR_EMAIL", "hand@x"),
        ("GIT_COMMITTER_NAME", "Hand"),
        ("GIT_COMMITTER_EMAIL", "hand@x"),
    ];
    let bare = bare.to_str().unwrap();
    loop {
        git(clone, &["fetch", "--quiet", bare, "main"], &[]);
        git(clone, &["reset", "--quiet", "--hard", "FETCH_HEAD"], &[]);
        std::fs::create_dir_all(clone.join("notes")).unwrap();
        std::fs::write(clone.join(format!("notes/{n}.txt")), format!("note {n}\n")).unwrap();
        git(clone, &["add", "."], &[]);
        git(
            clone,
            &["commit", "--quiet", "-m", &format!("note {n}")],
            &who,
        );
        let pushed = std::process::Command::new("git")
            .arg("-C")
            .arg(clone)
            .args(["push", "--quiet", bare, "HEAD:main"])
            .output()
            .unwrap();
        if pushed.status.success() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_promotions_at_once_all_land() {
    let upstream = Upstream::new();
    let initial: String = (0..PROMOTIONS)
        .map(|i| format!("svc-{i:03}: \"main\"\n"))
        .collect();
    let stg = format!("# Stg-1\n{initial}");
    upstream.commit(
        "Ann",
        T0,
        "environments",
        &[("environments/stg-1.yaml", Some(&stg))],
    );
    let extra = format!("{}\n[auth]\nadmins = [\"ops\"]\n", services_toml());
    let server = Arc::new(Server::start_with(&upstream, true, &extra).await);
    let token = server.token("ops").await;
    let start_head = upstream.head();

    let done = Arc::new(AtomicBool::new(false));
    let interloper = {
        let clone = upstream.dir.path().join("interloper");
        git(
            upstream.dir.path(),
            &[
                "clone",
                "--quiet",
                upstream.bare.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
            &[],
        );
        let done = Arc::clone(&done);
        let bare = upstream.bare.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            while !done.load(Ordering::SeqCst) {
                push_unrelated(&bare, &clone, n);
                n += 1;
                // A push every 0.3 s races every wave without starving a
                // writer whose fetch-and-push takes longer on a loaded machine.
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            n
        })
    };

    let started = Instant::now();
    let promote = |i: usize| {
        let server = Arc::clone(&server);
        let token = token.clone();
        tokio::spawn(async move {
            server
                .send(
                    Method::POST,
                    &format!("/api/v1/environments/stg-1/services/svc-{i:03}"),
                    Some(&token),
                    Some(json!({ "branch": format!("feature-{i}") })),
                )
                .await
        })
    };
    // Two waves with a hand-pushed note between them, so the writer surely
    // builds on a head that someone else moved (on a busy machine the
    // interloper alone may not get a push in); the interloper keeps racing
    // both waves.
    let mut answers = futures_join((0..PROMOTIONS / 2).map(promote).collect()).await;
    {
        let clone = upstream.dir.path().join("between");
        let bare = upstream.bare.clone();
        git(
            upstream.dir.path(),
            &[
                "clone",
                "--quiet",
                bare.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
            &[],
        );
        tokio::task::spawn_blocking(move || push_unrelated(&bare, &clone, BETWEEN))
            .await
            .unwrap();
    }
    answers.extend(futures_join((PROMOTIONS / 2..PROMOTIONS).map(promote).collect()).await);
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let notes = interloper.join().unwrap();
    println!(
        "{PROMOTIONS} promotions landed in {:.2} s",
        elapsed.as_secs_f64()
    );

    let final_head = upstream.head();
    for (i, (status, body)) in answers.iter().enumerate() {
        assert_eq!(*status, 200, "promotion {i}: {body}");
        let sha = body["commit"]
            .as_str()
            .expect("each promotion made a commit");
        // In the history of main: not lost, not rewritten.
        git(
            &upstream.bare,
            &["merge-base", "--is-ancestor", sha, &final_head],
            &[],
        );
    }
    git(
        &upstream.bare,
        &["merge-base", "--is-ancestor", &start_head, &final_head],
        &[],
    );
    let text = git(
        &upstream.bare,
        &["show", "main:environments/stg-1.yaml"],
        &[],
    );
    for i in 0..PROMOTIONS {
        assert!(
            text.contains(&format!("svc-{i:03}: \"feature-{i}\"")),
            "svc-{i:03} lost:\n{text}"
        );
    }
    assert!(text.starts_with("# Stg-1\n"));
    let tree = git(
        &upstream.bare,
        &["ls-tree", "-r", "--name-only", "main", "notes/"],
        &[],
    );
    assert_eq!(
        tree.lines().count(),
        notes + 1,
        "every hand-pushed note survived"
    );
    let berth_commits = git(
        &upstream.bare,
        &["log", "--format=%s", "--grep=Berth-Action: promote", "main"],
        &[],
    );
    assert_eq!(berth_commits.lines().count(), PROMOTIONS);
    // The hand-pushed notes really came in between Berth's commits.
    let subjects = git(&upstream.bare, &["log", "--format=%s", "main"], &[]);
    let order: Vec<bool> = subjects.lines().map(|s| s.starts_with("Point ")).collect();
    let first = order.iter().position(|b| *b).unwrap();
    let last = order.iter().rposition(|b| *b).unwrap();
    assert!(
        order[first..last].iter().any(|b| !b),
        "no note landed between promotions: {subjects}"
    );
}

/// The number of the note pushed between the two waves of promotions.
const BETWEEN: usize = 9_999;

async fn futures_join<T>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}
