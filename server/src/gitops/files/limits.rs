//! How much of a hand-written GitOps file Berth reads. Anyone with push
//! access can commit a megabyte file or fifteen thousand keys; the pages
//! must still answer quickly and stay small, so such files are reported as
//! a problem instead of being parsed and rendered in full.

use super::Problem;
use crate::gitops::yaml;

/// Real environment and sandbox files are a few kilobytes; 256 KiB is far
/// beyond any of them and still parses in milliseconds.
pub const MAX_FILE_BYTES: usize = 256 * 1024;
/// Keys of one sandbox that are read and shown. Pasting is capped lower
/// (`KeyPolicy::max_keys`); this only bounds what a hand edit can add.
pub const MAX_KEYS_READ: usize = 64;
/// Longest key line parsed. A 16384-bit RSA key is about 2.8 KB; anything
/// much longer only costs parsing time.
pub const MAX_KEY_BYTES_READ: usize = 16 * 1024;
/// Problems listed per file; the rest are counted in one last problem.
pub const MAX_PROBLEMS_PER_FILE: usize = 20;

/// The problem for a file over `MAX_FILE_BYTES`, left unread.
pub fn too_large(file: &str, size: u64) -> Problem {
    Problem {
        file: file.to_string(),
        line: None,
        message: format!(
            "this file is {}; Berth reads files of up to {}, so it was not read",
            describe_size(size),
            describe_size(MAX_FILE_BYTES as u64)
        ),
    }
}

/// The problem for a file whose bytes are not UTF-8, left unread: it is
/// never decoded, because decoding it lossily would show a file Argo CD
/// cannot parse as if it were fine, and an edit would write U+FFFD over
/// lines nobody meant to change. `byte` is 1-based, as `cmp` counts.
pub fn not_utf8(file: &str, byte: u64, line: usize) -> Problem {
    Problem {
        file: file.to_string(),
        line: Some(line),
        message: format!(
            "this file is not valid UTF-8 (byte {byte}); Argo CD cannot read it; fix it by hand"
        ),
    }
}

/// Why `text` must not be parsed at all, if it must not.
pub(super) fn unreadable(file: &str, text: &str) -> Option<Problem> {
    if text.len() > MAX_FILE_BYTES {
        return Some(too_large(file, text.len() as u64));
    }
    yaml::check_portable(text).err().map(|err| Problem {
        file: file.to_string(),
        line: Some(err.line),
        message: format!("{}; Berth did not read this file", err.message),
    })
}

/// Keeps the first `MAX_PROBLEMS_PER_FILE` problems in line order and
/// counts the rest.
pub(super) fn cap_problems(file: &str, problems: &mut Vec<Problem>) {
    problems.sort_by_key(|p| p.line.unwrap_or(0));
    if problems.len() > MAX_PROBLEMS_PER_FILE {
        let more = problems.len() - MAX_PROBLEMS_PER_FILE;
        problems.truncate(MAX_PROBLEMS_PER_FILE);
        problems.push(Problem {
            file: file.to_string(),
            line: None,
            message: format!("and {more} more problems in this file"),
        });
    }
}

/// `2.0 MiB`, `256 KiB`, `900 bytes`.
pub fn describe_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else if bytes >= KIB {
        format!("{:.1} KiB", bytes as f64 / KIB as f64)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::{
        files::{parse_environment_file, parse_sandbox_file},
        ssh::ed25519_line,
    };

    fn sandbox_with(keys: &[String]) -> String {
        let mut text = String::from("owner: ann\nsshPublicKeys:\n");
        for key in keys {
            text.push_str(&format!("  - {key}\n"));
        }
        text
    }

    #[test]
    fn a_sandbox_with_too_many_keys_lists_the_first_ones() {
        let keys: Vec<String> = (0..100u8).map(|i| ed25519_line([i; 32], "k")).collect();
        let (sandbox, problems) = parse_sandbox_file("s/ann.yaml", "ann", &sandbox_with(&keys));
        assert_eq!(sandbox.unwrap().keys.len(), MAX_KEYS_READ);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].message,
            "this sandbox lists 100 keys; Berth reads only the first 64"
        );
    }

    #[test]
    fn a_giant_key_line_is_a_problem_and_is_not_parsed() {
        let giant = format!("ssh-rsa {}", "A".repeat(200_000));
        let keys = [ed25519_line([1; 32], "ok"), giant];
        let (sandbox, problems) = parse_sandbox_file("s/ann.yaml", "ann", &sandbox_with(&keys));
        assert_eq!(sandbox.unwrap().keys.len(), 1);
        assert_eq!(problems[0].line, Some(4));
        assert_eq!(
            problems[0].message,
            "this key is 195.3 KiB long; Berth reads keys of up to 16 KiB, so it was not read"
        );
    }

    #[test]
    fn a_huge_file_is_one_problem() {
        let text = format!("app-a: main\n{}", "app-b: main\n".repeat(200_000));
        let env = parse_environment_file("environments/dev.yaml", &text);
        assert!(env.entries.is_empty());
        assert_eq!(env.problems.len(), 1);
        assert_eq!(
            env.problems[0].message,
            "this file is 2.3 MiB; Berth reads files of up to 256 KiB, so it was not read"
        );
        let (sandbox, problems) = parse_sandbox_file("s/ann.yaml", "ann", &text);
        let sandbox = sandbox.expect("still listed: the cluster runs it");
        assert_eq!((sandbox.owner, sandbox.keys.len()), (None, 0));
        assert!(problems[0].message.starts_with("this file is 2.3 MiB"));
    }

    #[test]
    fn a_file_argo_cd_reads_differently_is_reported_not_trusted() {
        // YAML 1.2 reads one comment line; YAML 1.1 reads `owner: admin`.
        let key = ed25519_line([2; 32], "dev1");
        let text = format!("owner: dev1\nsshPublicKeys:\n  - {key}\n# x\u{2028}owner: admin\n");
        let (sandbox, problems) = parse_sandbox_file("s/box.yaml", "box", &text);
        assert_eq!(sandbox.unwrap().owner, None, "dev1 must not be trusted");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(4));
        assert!(
            problems[0]
                .message
                .starts_with("U+2028 (line separator: a line break to YAML 1.1 parsers"),
            "{problems:?}"
        );
        assert!(problems[0]
            .message
            .contains("reads differently in Argo CD's YAML parser"));
        let env = parse_environment_file("e.yaml", "app-a: main\u{85}app-b: evil\n");
        assert!(env.entries.is_empty());
        assert!(env.problems[0].message.starts_with("U+0085"));
    }

    #[test]
    fn values_yaml_1_1_types_differently_are_reported() {
        let env = parse_environment_file("e.yaml", "app-a: on\napp-b: \"on\"\nyes: main\n");
        assert_eq!(env.branch_of("app-a"), None);
        assert_eq!(env.branch_of("app-b"), Some("on"));
        let messages: Vec<&str> = env.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "the branch of `app-a` must be a string, not a boolean to YAML 1.1 parsers such as Argo CD's; quote it",
                "a service name must be a string, not a boolean to YAML 1.1 parsers such as Argo CD's",
            ]
        );
    }

    #[test]
    fn sizes_read_like_a_person_writes_them() {
        assert_eq!(describe_size(2 * 1024 * 1024), "2.0 MiB");
        assert_eq!(describe_size(256 * 1024), "256 KiB");
        assert_eq!(describe_size(1536), "1.5 KiB");
        assert_eq!(describe_size(900), "900 bytes");
    }

    #[test]
    fn only_the_first_problems_are_listed() {
        let one = |i: usize| Problem {
            file: "f".into(),
            line: Some(i),
            message: "bad".into(),
        };
        let mut problems: Vec<Problem> = (1..=15_000).map(one).collect();
        cap_problems("f", &mut problems);
        assert_eq!(problems.len(), MAX_PROBLEMS_PER_FILE + 1);
        assert_eq!(problems[20].message, "and 14980 more problems in this file");
    }
}
