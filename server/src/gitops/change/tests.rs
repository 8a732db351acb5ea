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
    };
    assert!(matches!(
        create.apply_unread(size),
        Err(EditError::Conflict(_))
    ));
}
