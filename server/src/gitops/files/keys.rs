//! The top-level keys of a GitOps file, checked before any value is used:
//! keys that YAML 1.1 parsers (PyYAML, Go's yaml.v2 and yaml.v3, so Argo
//! CD) expand or resolve where Berth cannot follow, and keys given twice,
//! which PyYAML reads as the last value and Go's yaml.v3 refuses.

use super::Problem;
use crate::gitops::yaml::Node;

/// The first key that makes the file mean something Berth cannot read:
/// a merge key pulls in keys from elsewhere (`<<: {owner: admin}` sets
/// `owner` to PyYAML), an alias key names a key written elsewhere (so it
/// may repeat `owner`), and a tag on a key can make it a merge key
/// (`!!merge x:`) or change its type. None has a use in these files, so the
/// whole file is reported rather than read in part.
pub(super) fn unsupported_key(file: &str, entries: &[(Node, Node)]) -> Option<Problem> {
    entries.iter().find_map(|(key, _)| {
        let why = match key {
            // Quoted, `"<<"` is an ordinary key to YAML 1.1 parsers; refused
            // all the same, as nobody names a service or a field `<<`.
            Node::Scalar { value, .. } if value == "<<" => {
                "merge keys (`<<`) are not supported; write the keys out"
            }
            Node::Scalar { tagged: true, .. } => {
                "YAML tags on keys are not supported; write the key without its tag"
            }
            Node::Alias { .. } => "aliases (`*name`) are not supported as keys; write the key out",
            _ => return None,
        };
        Some(Problem::at(file, key.line(), why))
    })
}

/// The string keys listed more than once, each later listing reported at
/// its line. Neither value of such a key is used: parsers disagree on which
/// one counts.
pub(super) fn duplicated_keys<'a>(
    file: &str,
    entries: &'a [(Node, Node)],
    problems: &mut Vec<Problem>,
) -> Vec<&'a str> {
    let mut first_lines: Vec<(&str, usize)> = Vec::new();
    let mut duplicated: Vec<&str> = Vec::new();
    for (key, _) in entries {
        let Some(name) = key.as_str() else { continue };
        match first_lines.iter().find(|(seen, _)| *seen == name) {
            Some((_, first)) => {
                problems.push(Problem::at(
                    file,
                    key.line(),
                    format!(
                        "`{name}` is listed twice (first at line {first}); neither value is used"
                    ),
                ));
                if !duplicated.contains(&name) {
                    duplicated.push(name);
                }
            }
            None => first_lines.push((name, key.line())),
        }
    }
    duplicated
}

#[cfg(test)]
mod tests {
    use crate::gitops::{
        files::{parse_environment_file, parse_sandbox_file},
        ssh::ed25519_line,
    };

    const MERGE: &str = "merge keys (`<<`) are not supported; write the keys out";

    fn messages(problems: &[super::Problem]) -> Vec<(Option<usize>, &str)> {
        problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect()
    }

    #[test]
    fn a_merge_key_in_a_sandbox_file_is_reported_and_nothing_is_trusted() {
        // PyYAML reads owner `admin` and the key; Berth used to read no owner.
        let key = ed25519_line([3; 32], "k");
        for text in [
            format!("<<: {{owner: admin}}\nsshPublicKeys:\n  - {key}\n"),
            format!("owner: dev1\n<<: {{owner: admin}}\nsshPublicKeys:\n  - {key}\n"),
            format!("base: &b {{owner: admin}}\n<<: *b\nsshPublicKeys: [{key}]\n"),
            format!("!!merge x: {{owner: admin}}\nsshPublicKeys: [{key}]\n"),
        ] {
            let (sandbox, problems) = parse_sandbox_file("s/box.yaml", "box", &text);
            let sandbox = sandbox.expect("still listed: Argo CD runs it");
            assert_eq!(sandbox.owner, None, "{text}");
            assert!(sandbox.keys.is_empty(), "{text}");
            assert_eq!(problems.len(), 1, "{problems:?}");
        }
        let text = "owner: dev1\n<<: {owner: admin}\n";
        let (_, problems) = parse_sandbox_file("s/box.yaml", "box", text);
        assert_eq!(messages(&problems), [(Some(2), MERGE)]);
    }

    #[test]
    fn a_merge_key_in_an_environment_file_is_reported_and_the_file_not_read() {
        let env = parse_environment_file("e.yaml", "app-b: main\n<<: {app-a: evil}\n");
        assert!(env.entries.is_empty());
        assert_eq!(messages(&env.problems), [(Some(2), MERGE)]);
        let env = parse_environment_file("e.yaml", "app-a: &x main\n*x : evil\n");
        assert!(env.entries.is_empty());
        assert_eq!(
            messages(&env.problems),
            [(
                Some(2),
                "aliases (`*name`) are not supported as keys; write the key out"
            )]
        );
    }

    #[test]
    fn a_service_name_with_an_invisible_character_is_a_problem() {
        // It would show as `app-a`, an unknown service that is app-a.
        let env = parse_environment_file("e.yaml", "\"app-a\\u200B\": evil\napp-b: main\n");
        assert_eq!(env.entries.len(), 1);
        assert_eq!(env.branch_of("app-b"), Some("main"));
        assert_eq!(
            messages(&env.problems),
            [(
                Some(1),
                "the service name `app-a\\u{200B}` contains U+200B (zero width space); remove it"
            )]
        );
    }

    #[test]
    fn an_alias_key_cannot_repeat_the_owner_unseen() {
        // PyYAML reads the alias as a second `owner` and keeps `admin`.
        let text = "owner: &o dev1\n*o : admin\nsshPublicKeys: []\n";
        let (sandbox, problems) = parse_sandbox_file("s/box.yaml", "box", text);
        assert_eq!(sandbox.unwrap().owner, None);
        assert_eq!(problems[0].line, Some(2));
    }

    #[test]
    fn a_duplicate_owner_uses_neither_value() {
        let key = ed25519_line([4; 32], "k");
        let text = format!("owner: dev1\nsshPublicKeys:\n  - {key}\n\"owner\": admin\n");
        let (sandbox, problems) = parse_sandbox_file("s/box.yaml", "box", &text);
        let sandbox = sandbox.expect("listed, with no owner: only an admin may delete it");
        assert_eq!(sandbox.owner, None);
        assert_eq!(sandbox.keys.len(), 1, "the keys are not in doubt");
        assert_eq!(
            messages(&problems),
            [(
                Some(4),
                "`owner` is listed twice (first at line 1); neither value is used"
            )]
        );
        let text = format!("owner: ann\nsshPublicKeys: [{key}]\nsshPublicKeys: []\n");
        let (sandbox, problems) = parse_sandbox_file("s/box.yaml", "box", &text);
        let sandbox = sandbox.unwrap();
        assert_eq!(sandbox.owner.as_deref(), Some("ann"));
        assert!(sandbox.keys.is_empty(), "neither list is used");
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn an_owner_with_spaces_around_it_is_not_trimmed_or_matched() {
        for owner in ["\" dev1 \"", "'dev1 '", "\"\\u3000dev1\"", "\"\\tdev1\""] {
            let text = format!("owner: {owner}\nsshPublicKeys: []\n");
            let (sandbox, problems) = parse_sandbox_file("s/box.yaml", "box", &text);
            assert_eq!(sandbox.unwrap().owner, None, "{owner}");
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].line, Some(1));
            assert!(
                problems[0].message.contains("has spaces around it"),
                "{problems:?}"
            );
        }
        let (_, problems) = parse_sandbox_file(
            "s/box.yaml",
            "box",
            "owner: \" dev1 \"\nsshPublicKeys: []\n",
        );
        assert_eq!(
            problems[0].message,
            "`owner` \" dev1 \" has spaces around it; Argo CD and other tools keep them, \
             so it names nobody in Berth; remove them"
        );
        let (sandbox, problems) = parse_sandbox_file("s/box.yaml", "box", "owner: ''\n");
        assert_eq!(sandbox.unwrap().owner, None);
        assert_eq!(problems[0].message, "`owner` is empty");
    }
}
