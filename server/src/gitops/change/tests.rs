//! Changes applied to files: diffs, summaries, and which refusals are
//! invalid edits and which are conflicts.

use super::*;
use crate::gitops::ssh::{ed25519_line, parse_public_key};

fn promote(changes: &[(&str, &str)]) -> FileEdit {
    FileEdit::SetBranches {
        environment: "stg-1".into(),
        file: "environments/stg-1.yaml".into(),
        changes: changes
            .iter()
            .map(|(s, b)| (s.to_string(), b.to_string()))
            .collect(),
    }
}

#[test]
fn a_promotion_diff_changes_exactly_one_line() {
    let before = "# Stg-1\napp-a: \"main\"\napp-b: \"main\"\n";
    let Applied::Write(Some(after)) = promote(&[("app-a", "feature-x")])
        .apply(Some(before))
        .unwrap()
    else {
        panic!("expected a write")
    };
    let diff = unified_diff("environments/stg-1.yaml", Some(before), Some(&after));
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(changed, ["-app-a: \"main\"", "+app-a: \"feature-x\""]);
    assert!(diff.starts_with("--- a/environments/stg-1.yaml\n+++ b/environments/stg-1.yaml\n"));
}

#[test]
fn summaries_and_actions_name_the_change() {
    assert_eq!(
        promote(&[("app-a", "x")]).summary(),
        "Point stg-1 app-a at x"
    );
    let project = promote(&[("app-a", "x"), ("app-b", "y")]);
    assert_eq!(project.summary(), "Point stg-1 at app-a=x, app-b=y");
    assert_eq!(project.action().as_str(), "promote-project");
}

#[test]
fn already_set_is_unchanged_with_a_sentence() {
    let applied = promote(&[("app-a", "main")])
        .apply(Some("app-a: main\n"))
        .unwrap();
    assert_eq!(
        applied,
        Applied::Unchanged("stg-1 already runs app-a from main; nothing to commit".into())
    );
}

#[test]
fn sandbox_conflicts_are_plain_sentences_and_conflicts() {
    let key = parse_public_key(&ed25519_line([9; 32], "ann@x")).unwrap();
    let create = FileEdit::CreateSandbox {
        name: "ann".into(),
        file: "sandboxes/ann.yaml".into(),
        owner: "ann".into(),
        keys: vec![key],
        expires: None,
    };
    assert_eq!(
        create.apply(Some("owner: bo\n")).unwrap_err(),
        EditError::Conflict("the sandbox name `ann` is already taken".into())
    );
    let Applied::Write(Some(text)) = create.apply(None).unwrap() else {
        panic!("expected a new file")
    };
    let delete = |owner: Option<&str>| FileEdit::DeleteSandbox {
        name: "ann".into(),
        file: "sandboxes/ann.yaml".into(),
        owner: owner.map(str::to_string),
    };
    assert_eq!(
        delete(Some("ann")).apply(Some(&text)).unwrap(),
        Applied::Write(None)
    );
    let EditError::Conflict(why) = delete(Some("bo")).apply(Some(&text)).unwrap_err() else {
        panic!("another owner is a conflict")
    };
    assert!(why.contains("now belongs to ann"), "{why}");
    assert_eq!(
        delete(None).apply(Some(&text)).unwrap(),
        Applied::Write(None)
    );
    assert_eq!(
        delete(None).apply(None).unwrap_err(),
        EditError::Conflict("the sandbox `ann` has already been deleted".into())
    );
    assert!(unified_diff("sandboxes/ann.yaml", Some(&text), None).contains("+++ /dev/null"));
}

#[test]
fn edits_that_cannot_be_made_are_invalid_not_conflicts() {
    let invalid =
        |current: &str, branch: &str| match promote(&[("app-a", branch)]).apply(Some(current)) {
            Err(EditError::Invalid(why)) => why,
            other => panic!("{current:?} {branch:?}: {other:?}"),
        };
    assert!(invalid("app-a: [x\n", "y").contains("not valid YAML"));
    assert!(invalid("app-a: |\n  x\n", "y").contains("by hand"));
    assert!(invalid("app-a: x\n", "bad..name").contains(".."));
    // The environment file itself went away: the repository changed.
    let gone = promote(&[("app-a", "x")]).apply(None).unwrap_err();
    assert!(matches!(&gone, EditError::Conflict(why) if why.contains("does not exist")));
    assert_eq!(gone.to_string(), gone.message());
}

#[test]
fn a_file_too_large_to_read_is_changed_only_where_its_content_does_not_matter() {
    let size = 3 * 1024 * 1024;
    assert_eq!(
        promote(&[("app-a", "x")]).apply_unread(size),
        Err(EditError::Invalid(
            "environments/stg-1.yaml is 3.0 MiB, more than the 256 KiB Berth edits; change it by hand".into()
        ))
    );
    let delete = |owner: Option<&str>| FileEdit::DeleteSandbox {
        name: "ann".into(),
        file: "sandboxes/ann.yaml".into(),
        owner: owner.map(str::to_string),
    };
    assert_eq!(delete(None).apply_unread(size), Ok(Applied::Write(None)));
    assert!(matches!(
        delete(Some("ann")).apply_unread(size),
        Err(EditError::Invalid(_))
    ));
    let create = FileEdit::CreateSandbox {
        name: "ann".into(),
        file: "sandboxes/ann.yaml".into(),
        owner: "ann".into(),
        keys: Vec::new(),
        expires: None,
    };
    assert!(matches!(
        create.apply_unread(size),
        Err(EditError::Conflict(_))
    ));
}

fn day(text: &str) -> jiff::civil::Date {
    text.parse().unwrap()
}

fn sandbox_text(expires: Option<&str>) -> String {
    let key = ed25519_line([3; 32], "kim@x");
    match expires {
        Some(d) => format!("# kim's\nowner: kim\nexpires: \"{d}\"\nsshPublicKeys:\n  - {key}\n"),
        None => format!("# kim's\nowner: kim\nsshPublicKeys:\n  - {key}\n"),
    }
}

#[test]
fn an_expiry_deletes_only_a_sandbox_still_past_its_last_day() {
    let expire = FileEdit::ExpireSandbox {
        name: "box".into(),
        file: "sandboxes/box.yaml".into(),
        expired: day("2026-11-30"),
        today: day("2026-12-01"),
    };
    let past = sandbox_text(Some("2026-11-30"));
    assert_eq!(expire.apply(Some(&past)), Ok(Applied::Write(None)));
    // Its last day is today: it lives until tomorrow.
    let today = sandbox_text(Some("2026-12-01"));
    assert!(
        matches!(expire.apply(Some(&today)), Ok(Applied::Unchanged(why)) if why.contains("extended until 2026-12-01"))
    );
    // Deleted by someone else first: nothing to do, not an error.
    assert!(
        matches!(expire.apply(None), Ok(Applied::Unchanged(why)) if why.contains("already deleted"))
    );
    // The date was taken out by hand: it stays.
    assert!(matches!(
        expire.apply(Some(&sandbox_text(None))),
        Ok(Applied::Unchanged(_))
    ));
    assert_eq!(
        expire.summary(),
        "Delete sandbox box: it expired on 2026-11-30 (sandbox lifetime rule)"
    );
}

#[test]
fn extending_changes_one_line_or_adds_it_after_the_owner() {
    let extend = FileEdit::ExtendSandbox {
        name: "box".into(),
        file: "sandboxes/box.yaml".into(),
        expires: day("2027-01-15"),
    };
    let with = sandbox_text(Some("2026-12-01"));
    assert_eq!(
        extend.apply(Some(&with)),
        Ok(Applied::Write(Some(sandbox_text(Some("2027-01-15")))))
    );
    let without = sandbox_text(None);
    assert_eq!(
        extend.apply(Some(&without)),
        Ok(Applied::Write(Some(sandbox_text(Some("2027-01-15")))))
    );
    assert!(matches!(
        extend.apply(Some(&sandbox_text(Some("2027-01-15")))),
        Ok(Applied::Unchanged(_))
    ));
    assert!(matches!(extend.apply(None), Err(EditError::Conflict(_))));
    // A flow-style file is not edited by lines: refused, not mangled.
    let flow = format!(
        "{{owner: kim, sshPublicKeys: [{}]}}\n",
        ed25519_line([3; 32], "kim@x")
    );
    assert!(matches!(
        extend.apply(Some(&flow)),
        Err(EditError::Invalid(_))
    ));
}
