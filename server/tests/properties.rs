//! Property tests of the validators and the YAML edit: arbitrary input never
//! panics, what is accepted is safe to write, an edit changes exactly what
//! it says, and what Berth writes reads the same in libyaml (YAML 1.1, the
//! lineage of Argo CD's parser) as in Berth. `make fuzz` drives the same
//! functions with cargo-fuzz.

mod yaml11;

use berth::gitops::{
    edit::set_branches,
    files::{parse_environment_file, parse_sandbox_file},
    names::{check_branch_name, check_sandbox_name},
    sandbox_edit::{check_keys, render_sandbox, KeyPolicy},
    ssh::{ed25519_line, parse_public_key},
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

/// Pieces YAML parsers disagree on or type: YAML 1.1 line breaks, a byte
/// order mark, NUL, tabs, indicators, quotes, escapes, non-ASCII, and
/// words and numbers YAML 1.1 reads as booleans, numbers or null.
const HOSTILE: &[&str] = &[
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\u{feff}",
    "\0",
    "\t",
    ": ",
    " #",
    "*",
    "&",
    "!",
    "%",
    "@",
    "`",
    "'",
    "\"",
    "\\",
    "😀",
    "é",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "~",
    "null",
    "0x1F",
    "1e3",
    "0o7",
    ".inf",
    "image: evil",
    "owner: admin",
    "-",
    " ",
    "main",
    "x",
];

fn hostile_string() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(HOSTILE), 1..6).prop_map(|p| p.concat())
}

/// What pasting refuses in a key comment: control characters, line and
/// paragraph separators, format characters (of the pieces above).
fn hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Lines that make YAML parsers disagree on a file's keys: repeats, merge
/// keys, alias keys, tags, quoting and spaces.
const KEY_TRICKS: &[&str] = &[
    "owner: dev1",
    "owner: admin",
    "owner: \" dev1 \"",
    "\"owner\": admin",
    "'owner': admin",
    "owner: &o dev1",
    "*o : admin",
    "!!str owner: admin",
    "? owner\n: admin",
    "<<: {owner: admin, app-a: evil}",
    "base: &b {owner: admin}",
    "<<: *b",
    "<<: [*b]",
    "sshPublicKeys: []",
    "app-a: main",
    "app-a: evil",
    "&k app-a: main",
    "*k : evil",
    "\"app-a\": \"main\\u200B\"",
    "app-b: \"master\"",
    "# owner: admin",
];

/// Characters git takes in a branch name that people cannot see, or see
/// as blank.
const HIDDEN: &[char] = &[
    '\u{85}',
    '\u{a0}',
    '\u{ad}',
    '\u{34f}',
    '\u{61c}',
    '\u{115f}',
    '\u{180e}',
    '\u{2000}',
    '\u{200b}',
    '\u{200c}',
    '\u{200d}',
    '\u{200e}',
    '\u{200f}',
    '\u{2028}',
    '\u{2029}',
    '\u{202a}',
    '\u{202e}',
    '\u{202f}',
    '\u{205f}',
    '\u{2060}',
    '\u{2066}',
    '\u{2069}',
    '\u{3000}',
    '\u{3164}',
    '\u{fe0f}',
    '\u{feff}',
    '\u{fffd}',
    '\u{1d173}',
    '\u{e0001}',
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn a_written_sandbox_reads_the_same_in_libyaml(
        owner in hostile_string(),
        comments in prop::collection::vec(hostile_string(), 1..4),
    ) {
        let pasted: Vec<String> = comments
            .iter()
            .enumerate()
            .map(|(i, c)| ed25519_line([i as u8 + 1; 32], c))
            .collect();
        let checked = check_keys(&pasted.join("\n"), &KeyPolicy::default());
        // Pasting trims each line, so only what is left of a comment counts.
        let refused = comments.iter().any(|c| c.trim_end().chars().any(hidden));
        let keys = match checked {
            Err(problems) => {
                prop_assert!(refused, "refused {comments:?}: {problems:?}");
                prop_assert!(
                    problems.iter().any(|p| p.contains("the key comment contains U+")),
                    "{problems:?}"
                );
                return Ok(());
            }
            Ok(keys) => {
                prop_assert!(!refused, "accepted {comments:?}");
                keys
            }
        };
        prop_assert_eq!(keys.len(), comments.len());
        let rendered = render_sandbox("sandboxes/box.yaml", "box", &owner, &keys);
        // Berth reads no owner with spaces around it (nor an empty one), so
        // such an owner would not read back.
        if owner.trim() != owner || owner.is_empty() {
            prop_assert!(rendered.is_err(), "{rendered:?}");
            return Ok(());
        }
        let text = rendered.expect("an owner Berth reads back is written");
        prop_assert!(text.chars().all(|c| c == '\n' || matches!(c, ' '..='~')), "{text}");
        let lines: Vec<String> = keys.iter().map(|k| k.canonical.clone()).collect();
        prop_assert_eq!(yaml11::libyaml(&text), yaml11::sandbox_value(&owner, &lines));
        prop_assert_eq!(yaml11::typed_plain_scalars(&text), Vec::<String>::new(), "{}", text);
        let (sandbox, problems) = parse_sandbox_file("sandboxes/box.yaml", "box", &text);
        prop_assert!(problems.is_empty(), "{problems:?}");
        let sandbox = sandbox.expect("listed");
        prop_assert_eq!(sandbox.owner.as_deref(), Some(owner.as_str()));
        prop_assert_eq!(sandbox.keys, keys);
    }

    #[test]
    fn an_edited_environment_reads_the_same_in_libyaml(
        branch in hostile_string(),
        service in prop::sample::select(vec!["app-a", "app-b", "app-c", "app-d", "on", "yes"]),
    ) {
        let text = "# Dev\napp-a: \"main\"\napp-b: 'master'   # pinned\napp-c: main\n";
        let result = set_branches("dev.yaml", text, &[(service.to_string(), branch.clone())]);
        if let Err(why) = check_branch_name(&branch) {
            prop_assert_eq!(result, Err(why));
            return Ok(());
        }
        let before = parse_environment_file("dev.yaml", text);
        if before.branch_of(service) == Some(branch.as_str()) {
            prop_assert_eq!(result, Ok(None));
            return Ok(());
        }
        let after = result.expect("a valid branch is written").expect("a change");
        let berth = parse_environment_file("dev.yaml", &after);
        prop_assert!(berth.problems.is_empty(), "{:?}", berth.problems);
        prop_assert_eq!(berth.branch_of(service), Some(branch.as_str()));
        let entries: Vec<(String, String)> = berth
            .entries
            .iter()
            .map(|e| (e.service.clone(), e.branch.clone()))
            .collect();
        let added = before.branch_of(service).is_none();
        prop_assert_eq!(entries.len(), before.entries.len() + usize::from(added));
        prop_assert_eq!(yaml11::libyaml(&after), yaml11::environment_value(&entries));
        prop_assert_eq!(yaml11::typed_plain_scalars(&after), Vec::<String>::new(), "{}", after);
    }

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
            Err(why) => {
                // The only refusals, in this order: a file that is not YAML
                // (`a: -` is a list), a branch git would not take, or a
                // service listed twice, which Berth cannot choose between.
                let invalid = before.problems.iter().any(|p| p.message.starts_with("not valid YAML"));
                let listed = others.iter().filter(|(k, _)| *k == service).count();
                match check_branch_name(&branch) {
                    _ if invalid => prop_assert!(why.contains("is not valid YAML"), "{why}"),
                    Err(expected) => prop_assert_eq!(why, expected),
                    Ok(()) => prop_assert!(
                        listed > 1 && why.contains("is listed more than once"),
                        "refused: {why}\n{text}"
                    ),
                }
            }
        }
    }

    #[test]
    fn an_owner_or_branch_berth_trusts_is_the_one_libyaml_reads(
        pieces in prop::collection::vec(prop::sample::select(KEY_TRICKS), 1..6),
    ) {
        let text = pieces.join("\n") + "\n";
        let Ok(serde_yaml::Value::Mapping(theirs)) = serde_yaml::from_str(&text) else {
            // Duplicate keys and unknown aliases are errors to libyaml.
            return Ok(());
        };
        let owner = parse_sandbox_file("sandboxes/box.yaml", "box", &text)
            .0
            .and_then(|s| s.owner);
        let env = parse_environment_file("dev.yaml", &text);
        if owner.is_some() || !env.entries.is_empty() {
            // PyYAML would merge keys in: nothing is read from such a file.
            prop_assert!(!theirs.contains_key("<<"), "{text}");
        }
        if let Some(owner) = owner {
            prop_assert_eq!(
                theirs.get("owner"),
                Some(&serde_yaml::Value::from(owner)),
                "{}",
                text
            );
        }
        for entry in &env.entries {
            prop_assert_eq!(
                theirs.get(entry.service.as_str()),
                Some(&serde_yaml::Value::from(entry.branch.as_str())),
                "{}", text
            );
        }
    }

    #[test]
    fn branch_names_with_hidden_characters_are_refused(
        before in "[a-z]{0,6}",
        hidden in prop::sample::select(HIDDEN),
        after in "[a-z]{0,6}",
    ) {
        let name = format!("{before}{hidden}{after}");
        let err = check_branch_name(&name).expect_err("refused");
        prop_assert!(err.contains(&format!("U+{:04X}", hidden as u32)), "{err}");
        prop_assert!(!err.contains(hidden), "the message shows it escaped: {err:?}");
    }

    #[test]
    fn editing_arbitrary_text_never_panics(text in "\\PC{0,120}", branch in tricky_string(8)) {
        let _ = set_branches("f.yaml", &text, &[("app".into(), branch)]);
    }
}
