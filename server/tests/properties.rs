//! Property tests of the validators and the YAML edit: arbitrary input never
//! panics, what is accepted is safe to write, and an edit changes exactly
//! what it says. `make fuzz` drives the same functions with cargo-fuzz.

use berth::gitops::{
    edit::set_branches,
    files::parse_environment_file,
    names::{check_branch_name, check_sandbox_name},
    sandbox_edit::{check_keys, KeyPolicy},
    ssh::parse_public_key,
};
use proptest::prelude::*;

/// Characters that matter to git ref names, YAML and paths.
const TRICKY: &str = "ab-_/.@{}~^:?*[]\\ \t\"'#&!%|>,\n\r1";

fn tricky_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(TRICKY.chars().collect::<Vec<_>>()),
        0..max,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn branch_names_agree_with_git(name in tricky_string(12)) {
        let ours = check_branch_name(&name).is_ok();
        let git = std::process::Command::new("git")
            .args(["check-ref-format", "--branch", &name])
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap()
            .status
            .success();
        // git also accepts `@{-N}`-style shorthands we never write; every
        // name Berth accepts must be one git accepts.
        if ours {
            prop_assert!(git, "Berth accepted {name:?}, git refuses it");
        }
        if git && !name.contains('@') && !name.contains('\n') {
            prop_assert!(ours, "git accepts {name:?}, Berth refuses it");
        }
    }

    #[test]
    fn accepted_sandbox_names_stay_inside_their_directory(name in "\\PC{0,70}") {
        if check_sandbox_name(&name).is_ok() {
            let file = format!("sandboxes/{name}.yaml");
            prop_assert!(!name.contains('/') && !name.contains('.') && !name.contains('\\'));
            prop_assert_eq!(std::path::Path::new(&file).components().count(), 2);
            prop_assert!(name.len() <= 63);
        }
    }

    #[test]
    fn ssh_key_parsing_never_panics(text in "\\PC{0,200}") {
        let _ = parse_public_key(&text);
        let _ = check_keys(&text, &KeyPolicy::default());
    }

    #[test]
    fn an_edit_changes_only_its_service(
        others in prop::collection::vec(("[a-z]{1,6}", "[a-z0-9/._-]{1,10}"), 0..6),
        comment in "[ -~]{0,20}",
        service in "[a-z]{1,6}",
        branch in "[a-z0-9/._-]{1,12}",
        quote in prop::sample::select(vec!["", "'", "\""]),
    ) {
        let mut text = format!("# {comment}\n");
        for (k, v) in &others {
            text.push_str(&format!("{k}: {quote}{v}{quote}\n\n"));
        }
        let before = parse_environment_file("f.yaml", &text);
        match set_branches("f.yaml", &text, &[(service.clone(), branch.clone())]) {
            Ok(Some(after)) => {
                let parsed = parse_environment_file("f.yaml", &after);
                prop_assert_eq!(parsed.branch_of(&service), Some(branch.as_str()));
                for entry in &before.entries {
                    if entry.service != service {
                        prop_assert_eq!(parsed.branch_of(&entry.service), Some(entry.branch.as_str()));
                    }
                }
                let changed = text.lines().zip(after.lines()).filter(|(a, b)| a != b).count();
                let added = after.lines().count() - text.lines().count();
                prop_assert!(changed + added == 1, "{changed} changed, {added} added:\n{text}\n---\n{after}");
                let header = format!("# {comment}");
                prop_assert!(after.starts_with(&header));
            }
            Ok(None) => prop_assert_eq!(before.branch_of(&service), Some(branch.as_str())),
            // Refusals are fine (a value git would not take, a duplicate key).
            Err(_) => {}
        }
    }

    #[test]
    fn editing_arbitrary_text_never_panics(text in "\\PC{0,120}", branch in tricky_string(8)) {
        let _ = set_branches("f.yaml", &text, &[("app".into(), branch)]);
    }
}
