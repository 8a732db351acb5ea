//! The writer's loop against the scripted remote of `fake`: each rule of
//! retrying, as the operations it leads to, in milliseconds.

use super::{branch::BranchWriter, fake::Fake, retry::MAX_ATTEMPTS, Author, Outcome, WriteError};
use crate::gitops::{
    change::FileEdit,
    ssh::{ed25519_line, parse_public_key},
};

const ENV: &str = "app-a: main\napp-b: main\n";

fn writer(fake: &Fake) -> BranchWriter<Fake> {
    BranchWriter::new("gitops", fake.clone(), MAX_ATTEMPTS)
}

fn promote(service: &str, branch: &str) -> FileEdit {
    FileEdit::SetBranches {
        environment: "dev".into(),
        file: "environments/dev.yaml".into(),
        changes: vec![(service.into(), branch.into())],
    }
}

fn create_sandbox() -> FileEdit {
    FileEdit::CreateSandbox {
        name: "ann".into(),
        file: "sandboxes/ann.yaml".into(),
        owner: "ann".into(),
        keys: vec![parse_public_key(&ed25519_line([1; 32], "ann")).unwrap()],
        expires: None,
    }
}

async fn write(writer: &BranchWriter<Fake>, change: &FileEdit) -> Result<Outcome, WriteError> {
    let ann = Author {
        user: "ann".into(),
        name: "Ann".into(),
        email: "ann@x".into(),
    };
    writer.write(change, "message", &ann, &super::Open).await
}

fn committed(sha: &str, attempts: u32) -> Result<Outcome, WriteError> {
    Ok(Outcome::Committed {
        sha: sha.into(),
        attempts,
    })
}

/// A gate that says no, the way a lock does.
struct Closed;

#[async_trait::async_trait]
impl super::Gate for Closed {
    async fn check(&self) -> Result<(), WriteError> {
        Err(WriteError::Held("Stg-1 is locked by qa".into()))
    }
}

#[tokio::test]
async fn a_closed_gate_refuses_before_anything_is_read_or_committed() {
    let fake = Fake::new(Some(ENV));
    let writer = writer(&fake);
    let ann = Author {
        user: "ann".into(),
        name: "Ann".into(),
        email: "ann@x".into(),
    };
    let answer = writer
        .write(&promote("app-a", "x"), "message", &ann, &Closed)
        .await;
    assert_eq!(
        answer,
        Err(WriteError::Held("Stg-1 is locked by qa".into()))
    );
    assert!(fake.take_log().is_empty());
    assert_eq!(fake.file_at_head().unwrap(), ENV);
    // The next write, with the gate open, is not held up by the refusal.
    assert_eq!(
        write(&writer, &promote("app-a", "x")).await,
        committed("c1", 1)
    );
}

#[tokio::test]
async fn overtaken_pushes_are_reapplied_on_each_new_head_until_one_lands() {
    let fake = Fake::new(Some(ENV));
    fake.remote().overtake = 3;
    let answer = write(&writer(&fake), &promote("app-a", "x")).await;
    assert_eq!(answer, committed("c7", 4));
    assert_eq!(
        fake.take_log(),
        [
            "fetch c0",
            "read c0",
            "commit c1 on c0",
            "push c1: Behind",
            "pause 20ms",
            "fetch c2",
            "read c2",
            "commit c3 on c2",
            "push c3: Behind",
            "pause 40ms",
            "fetch c4",
            "read c4",
            "commit c5 on c4",
            "push c5: Behind",
            "pause 80ms",
            "fetch c6",
            "read c6",
            "commit c7 on c6",
            "push c7: Yes",
        ]
    );
    // Applied to the others' last commit: their edit is kept.
    assert_eq!(fake.file_at_head().unwrap(), "app-a: x\napp-b: other-5\n");
}

#[tokio::test]
async fn after_its_own_push_it_builds_on_it_and_a_hand_edit_sends_it_to_fetch() {
    let fake = Fake::new(Some(ENV));
    let writer = writer(&fake);
    assert_eq!(
        write(&writer, &promote("app-a", "x")).await,
        committed("c1", 1)
    );
    fake.take_log();
    assert_eq!(
        write(&writer, &promote("app-a", "y")).await,
        committed("c2", 1)
    );
    assert_eq!(
        fake.take_log(),
        ["read c1", "commit c2 on c1", "push c2: Yes"]
    );

    fake.hand_edit(Some("app-a: y\napp-b: hand\n"));
    assert_eq!(
        write(&writer, &promote("app-a", "z")).await,
        committed("c5", 2)
    );
    assert_eq!(
        fake.take_log(),
        [
            "read c2",
            "commit c4 on c2",
            "push c4: Behind",
            "pause 20ms",
            "fetch c3",
            "read c3",
            "commit c5 on c3",
            "push c5: Yes",
        ]
    );
    assert_eq!(fake.file_at_head().unwrap(), "app-a: z\napp-b: hand\n");
}

#[tokio::test]
async fn a_conflict_on_its_own_last_push_is_only_told_from_a_fresh_head() {
    let fake = Fake::new(None);
    let writer = writer(&fake);
    assert_eq!(write(&writer, &create_sandbox()).await, committed("c1", 1));
    fake.hand_edit(None);
    fake.take_log();
    // Its own last push still has the file; the remote no longer does.
    assert_eq!(write(&writer, &create_sandbox()).await, committed("c3", 1));
    assert_eq!(
        fake.take_log(),
        [
            "read c1",
            "fetch c2",
            "read c2",
            "commit c3 on c2",
            "push c3: Yes"
        ]
    );
    // Now the file is really there: a conflict, told after a fetch.
    let taken = WriteError::Conflict("the sandbox name `ann` is already taken".into());
    assert_eq!(write(&writer, &create_sandbox()).await, Err(taken));
    assert_eq!(fake.take_log(), ["read c3", "fetch c3", "read c3"]);
}

#[tokio::test]
async fn no_change_on_its_own_last_push_is_only_told_from_a_fresh_head() {
    let fake = Fake::new(Some(ENV));
    let writer = writer(&fake);
    write(&writer, &promote("app-a", "x")).await.unwrap();
    fake.hand_edit(Some(ENV));
    fake.take_log();
    assert_eq!(
        write(&writer, &promote("app-a", "x")).await,
        committed("c3", 1)
    );
    assert_eq!(
        fake.take_log(),
        [
            "read c1",
            "fetch c2",
            "read c2",
            "commit c3 on c2",
            "push c3: Yes"
        ]
    );
    let answer = write(&writer, &promote("app-a", "x")).await;
    assert_eq!(
        answer,
        Ok(Outcome::Unchanged(
            "dev already runs app-a from x; nothing to commit".into()
        ))
    );
    assert_eq!(fake.take_log(), ["read c3", "fetch c3", "read c3"]);
}

#[tokio::test]
async fn attempts_run_out_when_the_branch_keeps_moving() {
    let fake = Fake::new(Some(ENV));
    fake.remote().overtake = u32::MAX;
    let answer = write(&writer(&fake), &promote("app-a", "x")).await;
    assert_eq!(
        answer,
        Err(WriteError::Failed(format!(
            "the GitOps repository kept moving: {MAX_ATTEMPTS} pushes were overtaken; nothing was committed, try again"
        )))
    );
    let log = fake.take_log();
    let count = |prefix: &str| log.iter().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("push"), MAX_ATTEMPTS as usize);
    assert_eq!(count("pause"), MAX_ATTEMPTS as usize - 1);
    assert!(fake.file_at_head().unwrap().starts_with("app-a: main\n"));
}

#[tokio::test]
async fn a_refused_push_is_answered_at_once_and_the_next_write_fetches() {
    let fake = Fake::new(Some(ENV));
    let writer = writer(&fake);
    write(&writer, &promote("app-a", "x")).await.unwrap();
    fake.take_log();
    fake.remote().refuse = Some(
        "remote: change freeze until Monday\n ! [remote rejected] c2 -> main (pre-receive hook declined)\n".into(),
    );
    let answer = write(&writer, &promote("app-a", "y")).await;
    assert_eq!(
        answer,
        Err(WriteError::Failed(
            "the GitOps repository refused the push (pre-receive hook declined): change freeze until Monday; nothing was committed".into()
        ))
    );
    assert_eq!(
        fake.take_log(),
        ["read c1", "commit c2 on c1", "push c2: refused"]
    );
    fake.remote().refuse = None;
    assert_eq!(
        write(&writer, &promote("app-a", "y")).await,
        committed("c3", 1)
    );
    assert_eq!(
        fake.take_log()[0],
        "fetch c1",
        "a failed write forgets its known head"
    );
}

#[tokio::test]
async fn a_file_that_cannot_be_edited_is_invalid_and_nothing_is_committed() {
    let huge = format!("app-a: main\n{}", "# padding\n".repeat(30_000));
    for (file, why) in [
        (huge.as_str(), "environments/dev.yaml is 293.0 KiB, more than the 256 KiB Berth edits; change it by hand"),
        ("app-a: [main\n", "not valid YAML"),
    ] {
        let fake = Fake::new(Some(file));
        let writer = writer(&fake);
        let Err(WriteError::Invalid(told)) = write(&writer, &promote("app-a", "x")).await else {
            panic!("{why}")
        };
        assert!(told.contains(why), "{told}");
        let preview = writer.preview(&promote("app-a", "x"), "m".into()).await;
        assert_eq!(preview, Err(WriteError::Invalid(told)));
        assert!(!fake.take_log().iter().any(|l| l.starts_with("commit")));
    }
}

#[tokio::test]
async fn a_preview_shows_the_diff_on_a_fresh_head_and_commits_nothing() {
    let fake = Fake::new(Some(ENV));
    let writer = writer(&fake);
    let preview = writer
        .preview(&promote("app-a", "x"), "m".into())
        .await
        .unwrap();
    assert!(
        preview.diff.contains("-app-a: main\n+app-a: x\n"),
        "{}",
        preview.diff
    );
    assert_eq!(preview.unchanged, None);
    assert_eq!(fake.take_log(), ["fetch c0", "read c0"]);
    let same = writer.preview(&promote("app-a", "main"), "m".into()).await;
    assert!(same.unwrap().unchanged.is_some());
}
