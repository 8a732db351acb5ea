//! Parsing of the GitOps files Berth reads: environment files
//! (`service: branch`) and sandbox files (owner + SSH keys). Pure: text in,
//! entries and problems out; nothing here can panic on file content, and a
//! hand-written file that is huge, or that Argo CD's YAML parser reads
//! differently, is reported instead of trusted (limits in `limits`, keys
//! other parsers read differently in `keys`).

mod fields;
pub use fields::parse_day;
mod keys;
mod limits;

pub use limits::{
    describe_size, not_utf8, too_large, MAX_FILE_BYTES, MAX_KEYS_READ, MAX_KEY_BYTES_READ,
    MAX_PROBLEMS_PER_FILE,
};

use super::{
    names::{check_branch_name, check_sandbox_name, hidden_character, show_hidden},
    ssh::ParsedKey,
    yaml::{self, Node},
};

/// Something wrong in a file, reported next to everything that still works.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    fn at(file: &str, line: usize, message: impl Into<String>) -> Self {
        Problem {
            file: file.to_string(),
            line: Some(line),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MappingEntry {
    pub service: String,
    pub branch: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnvironmentFile {
    pub entries: Vec<MappingEntry>,
    pub problems: Vec<Problem>,
}

impl EnvironmentFile {
    pub fn branch_of(&self, service: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.service == service)
            .map(|e| e.branch.as_str())
    }
}

/// Parses an environment file. Entries that are wrong (not a string, not a
/// valid branch, a key given twice) are left out and reported; the valid
/// entries are kept so one typo does not blank the whole environment. A
/// file other parsers read differently as a whole (merge or alias keys) is
/// reported and not read.
pub fn parse_environment_file(file: &str, text: &str) -> EnvironmentFile {
    let mut parsed = EnvironmentFile::default();
    if let Some(problem) = limits::unreadable(file, text) {
        parsed.problems.push(problem);
        return parsed;
    }
    let entries = match top_mapping(file, text) {
        Ok(entries) => entries,
        Err(problem) => {
            parsed.problems.push(problem);
            return parsed;
        }
    };
    if let Some(problem) = keys::unsupported_key(file, &entries) {
        parsed.problems.push(problem);
        return parsed;
    }
    let duplicated = keys::duplicated_keys(file, &entries, &mut parsed.problems);
    for (key, value) in &entries {
        let Some(service) = key.as_str() else {
            parsed.problems.push(Problem::at(
                file,
                key.line(),
                format!("a service name must be a string, not {}", key.kind()),
            ));
            continue;
        };
        if duplicated.contains(&service) {
            continue;
        }
        // Shown as `app-a`, it would not be app-a.
        if let Some(what) = hidden_character(service) {
            parsed.problems.push(Problem::at(
                file,
                key.line(),
                format!(
                    "the service name `{}` contains {what}; remove it",
                    show_hidden(service)
                ),
            ));
            continue;
        }
        let Some(branch) = value.as_str() else {
            parsed.problems.push(Problem::at(
                file,
                value.line(),
                format!(
                    "the branch of `{service}` must be a string, not {}; quote it",
                    value.kind()
                ),
            ));
            continue;
        };
        if let Err(why) = check_branch_name(branch) {
            parsed.problems.push(Problem::at(file, value.line(), why));
            continue;
        }
        parsed.entries.push(MappingEntry {
            service: service.to_string(),
            branch: branch.to_string(),
            line: key.line(),
        });
    }
    limits::cap_problems(file, &mut parsed.problems);
    parsed
}

#[derive(Debug, Clone, PartialEq)]
pub struct SandboxFile {
    pub name: String,
    pub file: String,
    pub owner: Option<String>,
    pub keys: Vec<ParsedKey>,
    /// The last day the sandbox lives; Berth deletes it after that day.
    pub expires: Option<jiff::civil::Date>,
}

/// Parses `sandboxes/<name>.yaml`. `None` when the file cannot describe a
/// sandbox at all (bad name, bad YAML); problems with single fields are
/// reported while the sandbox is still listed, since the cluster runs it.
/// An owner is only taken when every parser reads the same one: never from
/// a file with merge or alias keys, a repeated `owner`, or spaces around it.
pub fn parse_sandbox_file(
    file: &str,
    name: &str,
    text: &str,
) -> (Option<SandboxFile>, Vec<Problem>) {
    let mut problems = Vec::new();
    if let Err(why) = check_sandbox_name(name) {
        problems.push(Problem {
            file: file.to_string(),
            line: None,
            message: why,
        });
        return (None, problems);
    }
    if let Some(problem) = limits::unreadable(file, text) {
        return unread_sandbox(file, name, problem);
    }
    let entries = match top_mapping(file, text) {
        Ok(entries) => entries,
        Err(problem) => return (None, vec![problem]),
    };
    if let Some(problem) = keys::unsupported_key(file, &entries) {
        return unread_sandbox(file, name, problem);
    }
    let mut sandbox = SandboxFile {
        name: name.to_string(),
        file: file.to_string(),
        owner: None,
        keys: Vec::new(),
        expires: None,
    };
    let duplicated = keys::duplicated_keys(file, &entries, &mut problems);
    let (mut saw_owner, mut saw_keys) = (false, false);
    for (key, value) in &entries {
        let Some(field) = key.as_str() else {
            problems.push(Problem::at(
                file,
                key.line(),
                format!("a key must be a string, not {}", key.kind()),
            ));
            continue;
        };
        match field {
            "owner" => saw_owner = true,
            "sshPublicKeys" => saw_keys = true,
            "expires" => {}
            _ => continue,
        }
        if duplicated.contains(&field) {
            continue;
        }
        match field {
            "owner" => sandbox.owner = fields::read_owner(file, value, &mut problems),
            "expires" => sandbox.expires = fields::read_expires(file, value, &mut problems),
            _ => fields::read_keys(file, value, &mut sandbox.keys, &mut problems),
        }
    }
    if !saw_owner {
        problems.push(Problem::at(file, 1, "`owner` is missing"));
    }
    if !saw_keys {
        problems.push(Problem::at(file, 1, "`sshPublicKeys` is missing"));
    }
    limits::cap_problems(file, &mut problems);
    (Some(sandbox), problems)
}

/// A sandbox whose file was not read (too large, or read differently by
/// Argo CD): still listed under its name, as the cluster runs it, but with
/// no owner and no keys taken from the file.
pub fn unread_sandbox(
    file: &str,
    name: &str,
    problem: Problem,
) -> (Option<SandboxFile>, Vec<Problem>) {
    if check_sandbox_name(name).is_err() {
        return (None, vec![problem]);
    }
    let sandbox = SandboxFile {
        name: name.to_string(),
        file: file.to_string(),
        owner: None,
        keys: Vec::new(),
        expires: None,
    };
    (Some(sandbox), vec![problem])
}

/// The entries of a file whose top level must be a mapping; an empty file
/// is an empty mapping.
fn top_mapping(file: &str, text: &str) -> Result<Vec<(Node, Node)>, Problem> {
    match yaml::parse(text) {
        Err(err) => Err(Problem::at(
            file,
            err.line,
            format!("not valid YAML: {}", err.message),
        )),
        Ok(None) => Ok(Vec::new()),
        Ok(Some(Node::Mapping { entries, .. })) => Ok(entries),
        Ok(Some(other)) => Err(Problem::at(
            file,
            other.line(),
            format!("expected a mapping, found {}", other.kind()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICHkiJMaAu2E4lSfp/fEW37t2quCNbFlSEpQg6Hq1D/7 kohbis@laptop";

    #[test]
    fn environment_file_keeps_order_and_lines() {
        let text = "# Dev environment.\napp-a: \"feature-xxx\"\n\napp-b: master\napp-c: 'main'\n";
        let env = parse_environment_file("environments/dev.yaml", text);
        assert!(env.problems.is_empty(), "{:?}", env.problems);
        let got: Vec<_> = env
            .entries
            .iter()
            .map(|e| (e.service.as_str(), e.branch.as_str(), e.line))
            .collect();
        assert_eq!(
            got,
            [
                ("app-a", "feature-xxx", 2),
                ("app-b", "master", 4),
                ("app-c", "main", 5)
            ]
        );
    }

    #[test]
    fn bad_yaml_is_one_problem_with_a_line() {
        let env = parse_environment_file("environments/dev.yaml", "app-a: main\napp-b: [oops\n");
        assert!(env.entries.is_empty());
        assert_eq!(env.problems.len(), 1);
        assert!(env.problems[0].message.starts_with("not valid YAML"));
        assert!(env.problems[0].line.is_some());
    }

    #[test]
    fn non_string_branch_is_reported_and_the_rest_kept() {
        let env = parse_environment_file(
            "f.yaml",
            "app-a: 123\napp-b: main\napp-c: true\napp-d: [x]\n",
        );
        assert_eq!(env.entries.len(), 1);
        assert_eq!(env.branch_of("app-b"), Some("main"));
        let lines: Vec<_> = env.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(1), Some(3), Some(4)]);
        assert!(env.problems[0].message.contains("a number"));
    }

    #[test]
    fn duplicate_key_uses_neither_value() {
        let env = parse_environment_file("f.yaml", "app-a: one\napp-b: main\napp-a: two\n");
        assert_eq!(env.branch_of("app-a"), None);
        assert_eq!(env.branch_of("app-b"), Some("main"));
        assert_eq!(env.problems[0].line, Some(3));
        assert!(env.problems[0].message.contains("first at line 1"));
    }

    #[test]
    fn invalid_branch_name_is_reported() {
        let env = parse_environment_file("f.yaml", "app-a: \"feature..x\"\n");
        assert!(env.entries.is_empty());
        assert!(env.problems[0].message.contains("not a valid branch name"));
    }

    #[test]
    fn top_level_list_is_refused() {
        let env = parse_environment_file("f.yaml", "- a\n- b\n");
        assert!(env.problems[0].message.contains("expected a mapping"));
    }

    #[test]
    fn sandbox_file_reads_owner_and_keys() {
        let text = format!("# Sandbox of kohbis.\nowner: kohbis\nsshPublicKeys:\n  - {KEY}\n");
        let (sandbox, problems) = parse_sandbox_file("sandboxes/kohbis.yaml", "kohbis", &text);
        assert!(problems.is_empty(), "{problems:?}");
        let sandbox = sandbox.unwrap();
        assert_eq!(sandbox.owner.as_deref(), Some("kohbis"));
        assert_eq!(sandbox.keys.len(), 1);
    }

    #[test]
    fn sandbox_with_a_bad_key_is_listed_with_the_problem() {
        let text =
            format!("owner: kohbis\nsshPublicKeys:\n  - {KEY}\n  - ssh-ed25519 AAAAbroken\n");
        let (sandbox, problems) = parse_sandbox_file("sandboxes/kohbis.yaml", "kohbis", &text);
        assert_eq!(sandbox.unwrap().keys.len(), 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(4));
    }

    #[test]
    fn sandbox_name_must_be_a_dns_label() {
        let (sandbox, problems) =
            parse_sandbox_file("sandboxes/Bad_Name.yaml", "Bad_Name", "owner: x\n");
        assert!(sandbox.is_none());
        assert!(problems[0].message.contains("not a valid sandbox name"));
    }

    #[test]
    fn sandbox_missing_fields_are_reported() {
        let (sandbox, problems) =
            parse_sandbox_file("sandboxes/a.yaml", "a", "sshPublicKeys: nope\n");
        assert!(sandbox.is_some());
        let messages: Vec<_> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("must be a list")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("`owner` is missing")),
            "{messages:?}"
        );
    }
}
