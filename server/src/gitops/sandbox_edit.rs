//! Writing sandbox files: which pasted SSH keys are acceptable (and how
//! many, how large), and the exact file Berth commits for a new sandbox.
//! Pure, so every rule is tested without git.

use serde::{Deserialize, Serialize};

use super::{
    files::{describe_size, parse_sandbox_file},
    ssh::{parse_public_key, ParsedKey},
    yaml::{comment_text, scalar},
};

/// Which SSH keys a sandbox may carry (`[sandboxes.keys]` in berth.toml).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPolicy {
    /// Any of `ed25519`, `ecdsa`, `rsa`, `sk-ed25519`, `sk-ecdsa`, `dsa`.
    #[serde(default = "default_allowed")]
    pub allowed: Vec<String>,
    #[serde(default = "default_min_rsa_bits")]
    pub min_rsa_bits: u32,
    /// Keys one sandbox may carry: a person has a few devices, not hundreds.
    #[serde(default = "default_max_keys")]
    pub max_keys: usize,
    /// Longest pasted key line, checked before the key is parsed.
    #[serde(default = "default_max_key_bytes")]
    pub max_key_bytes: usize,
    /// Largest RSA modulus; bigger keys only slow every login down.
    #[serde(default = "default_max_rsa_bits")]
    pub max_rsa_bits: u32,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        KeyPolicy {
            allowed: default_allowed(),
            min_rsa_bits: default_min_rsa_bits(),
            max_keys: default_max_keys(),
            max_key_bytes: default_max_key_bytes(),
            max_rsa_bits: default_max_rsa_bits(),
        }
    }
}

fn default_max_keys() -> usize {
    16
}

/// A 16384-bit RSA key line (the largest `max_rsa_bits` allows by default)
/// is about 2.8 KB with a usual comment; 8 KiB leaves room for a long
/// comment and still refuses megabyte "keys" before any parsing.
fn default_max_key_bytes() -> usize {
    8 * 1024
}

fn default_max_rsa_bits() -> u32 {
    16384
}

/// Problems listed for one paste; the rest are counted.
const MAX_PROBLEMS: usize = 10;

fn default_allowed() -> Vec<String> {
    vec!["ed25519".into(), "ecdsa".into(), "rsa".into()]
}

fn default_min_rsa_bits() -> u32 {
    3072
}

impl KeyPolicy {
    fn check(&self, key: &ParsedKey) -> Result<(), String> {
        let kind = key.algorithm.to_ascii_lowercase();
        let kind = match kind.strip_suffix("-sk") {
            Some(base) => format!("sk-{base}"),
            None => kind,
        };
        if !self.allowed.contains(&kind) {
            return Err(format!(
                "{} keys are not allowed here; use one of: {}",
                key.algorithm,
                self.allowed.join(", ")
            ));
        }
        if kind == "rsa" && key.bits < self.min_rsa_bits {
            return Err(format!(
                "this RSA key has {} bits; at least {} are required",
                key.bits, self.min_rsa_bits
            ));
        }
        if kind == "rsa" && key.bits > self.max_rsa_bits {
            return Err(format!(
                "this RSA key has {} bits; at most {} are accepted",
                key.bits, self.max_rsa_bits
            ));
        }
        Ok(())
    }
}

/// Reads pasted keys, one per line (blank lines ignored). Every problem is
/// reported, numbered by the key's line, so the person fixes them in one
/// go; but a paste over the limits is refused as a whole, in one sentence,
/// without reading each key.
pub fn check_keys(pasted: &str, policy: &KeyPolicy) -> Result<Vec<ParsedKey>, Vec<String>> {
    let count = pasted.lines().filter(|l| !l.trim().is_empty()).count();
    if count == 0 {
        return Err(vec!["paste at least one SSH public key".into()]);
    }
    if count > policy.max_keys {
        return Err(vec![format!(
            "a sandbox may carry at most {} keys; you pasted {count}",
            policy.max_keys
        )]);
    }
    let most = policy.max_keys.saturating_mul(policy.max_key_bytes);
    if pasted.len() > most {
        return Err(vec![format!(
            "you pasted {}; {} keys of up to {} each is the most a sandbox takes",
            describe_size(pasted.len() as u64),
            policy.max_keys,
            describe_size(policy.max_key_bytes as u64)
        )]);
    }
    let mut keys: Vec<ParsedKey> = Vec::new();
    let mut problems = Vec::new();
    let lines = pasted.lines().filter(|l| !l.trim().is_empty());
    for (i, line) in lines.enumerate() {
        let label = if count > 1 {
            format!("key {}: ", i + 1)
        } else {
            String::new()
        };
        let line = line.trim();
        if line.len() > policy.max_key_bytes {
            problems.push(format!(
                "{label}this line is {} long; an SSH public key line may be at most {}",
                describe_size(line.len() as u64),
                describe_size(policy.max_key_bytes as u64)
            ));
            continue;
        }
        match parse_public_key(line).and_then(|key| policy.check(&key).map(|()| key)) {
            Ok(key) if keys.iter().any(|k| k.fingerprint == key.fingerprint) => problems.push(
                format!("{label}this key is pasted twice ({})", key.fingerprint),
            ),
            Ok(key) => keys.push(key),
            Err(why) => problems.push(format!("{label}{why}")),
        }
    }
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!("and {more} more problems"));
    }
    if problems.is_empty() {
        Ok(keys)
    } else {
        Err(problems)
    }
}

/// The file committed for a new sandbox, as the contract shows it. It is
/// parsed back before it is returned, so what is committed is what Berth
/// will read.
pub fn render_sandbox(
    file: &str,
    name: &str,
    owner: &str,
    keys: &[ParsedKey],
) -> Result<String, String> {
    render_sandbox_until(file, name, owner, keys, None)
}

/// `render_sandbox` with the sandbox's last day. The date is quoted: YAML
/// 1.1 would read a plain one as a timestamp, not as text.
pub fn render_sandbox_until(
    file: &str,
    name: &str,
    owner: &str,
    keys: &[ParsedKey],
    expires: Option<jiff::civil::Date>,
) -> Result<String, String> {
    // The owner in the comment is escaped too: a line break there would
    // end the comment and start content.
    let mut text = format!(
        "# Sandbox of {}, created with Berth.\nowner: {}\n",
        comment_text(owner),
        scalar(owner)
    );
    if let Some(day) = expires {
        text.push_str(&format!("expires: \"{day}\"\n"));
    }
    text.push_str("sshPublicKeys:\n");
    for key in keys {
        text.push_str(&format!("  - {}\n", scalar(&key.canonical)));
    }
    let (parsed, problems) = parse_sandbox_file(file, name, &text);
    // Printable ASCII and newlines only: nothing any YAML parser could take
    // for a line break, an encoding mark or a control character.
    let portable = text
        .bytes()
        .all(|b| b == b'\n' || (b' '..=b'~').contains(&b));
    match parsed {
        Some(p)
            if portable
                && problems.is_empty()
                && p.keys == keys
                && p.expires == expires
                && p.owner.as_deref() == Some(owner) =>
        {
            Ok(text)
        }
        _ => Err(format!(
            "Berth could not write {file} so that it reads back the same; nothing was committed"
        )),
    }
}

/// Sets a sandbox file's `expires` to `day`, changing that one line (or
/// adding it after `owner`); `None` when it already says so. The result
/// is parsed back: the same owner and keys and the new date, or nothing.
pub fn set_expires(
    file: &str,
    name: &str,
    text: &str,
    day: jiff::civil::Date,
) -> Result<Option<String>, String> {
    let cannot = || format!("Berth cannot change `expires` in {file} safely; change it by hand");
    let (before, problems) = parse_sandbox_file(file, name, text);
    let before = before.ok_or_else(cannot)?;
    if before.expires == Some(day) {
        return Ok(None);
    }
    let line = format!("expires: \"{day}\"\n");
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    if let Some(last) = lines.last_mut() {
        if !last.ends_with('\n') {
            last.push('\n');
        }
    }
    match lines.iter().position(|l| l.starts_with("expires:")) {
        Some(at) => lines[at] = line,
        None => {
            let at = lines
                .iter()
                .position(|l| l.starts_with("owner:"))
                .map_or(lines.len(), |owner| owner + 1);
            lines.insert(at, line);
        }
    }
    let edited = lines.concat();
    let (after, after_problems) = parse_sandbox_file(file, name, &edited);
    match after {
        Some(after)
            if after.owner == before.owner
                && after.keys == before.keys
                && after.expires == Some(day)
                && after_problems.len() <= problems.len() =>
        {
            Ok(Some(edited))
        }
        _ => Err(cannot()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::ssh::ed25519_line;

    const RSA_3072: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCTDYvnG+pyCOTsntUN01wpnXtu6ayzY5cnd9vPZ1ubr7aEdmxymfbJWZKbyHl2vXmJIZxhsPqfbSPtUZMvbEaev+Zy5hglPybXiptT4OR9uIrKC4WZthitsNcuXw/liT/V31Ol5Hs7ZEUPUAhf20fA2IJHwuWqJjvcfgackepN66MRV36Mhe6SaLIRj74z8SX0JfNRJcJ/9qMv3Osb5fbsSD1rVvW91MxERwUCk/7uAcs7+N75yEHr49DH2HUtHD9+94ni8+iL6i8lkFWDplqIdlTEOwZ9ielKXEjAxM//ktBuVaLBQa1re2mJlhjIb7zupIgXRTsKNJJqRjBDqQkaidjuhxj9F2VmPCljkPw+W3I6NDkgS19ii5LRAa/Mv/rFRB6RfWjH1vG54p3uICTrfxzIYcQmhDws8lHq/HMZuC4de9Cv43MZnb9k0xk2UfKdKps51w0OjF0HvvNbg+k54CatAsZJvSuX6PFU+0IAjOgakIDQXqTT4RR/JtRzOE8= qa@ci";

    #[test]
    fn good_keys_are_accepted_in_canonical_form() {
        let pasted = format!(
            "\n  {}  \n\n{RSA_3072}\n",
            ed25519_line([1; 32], "ann@laptop")
        );
        let keys = check_keys(&pasted, &KeyPolicy::default()).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].canonical, ed25519_line([1; 32], "ann@laptop"));
    }

    #[test]
    fn policy_refuses_weak_or_unlisted_algorithms() {
        let strict = KeyPolicy {
            min_rsa_bits: 4096,
            ..KeyPolicy::default()
        };
        let err = check_keys(RSA_3072, &strict).unwrap_err();
        assert_eq!(
            err,
            ["this RSA key has 3072 bits; at least 4096 are required"]
        );
        let ed_only = KeyPolicy {
            allowed: vec!["ed25519".into()],
            ..KeyPolicy::default()
        };
        assert!(check_keys(RSA_3072, &ed_only).unwrap_err()[0].contains("not allowed"));
    }

    #[test]
    fn every_problem_is_listed_with_its_key_number() {
        let key = ed25519_line([2; 32], "x");
        let pasted = format!("{key}\ncommand=\"ls\" {key}\n{key}\nnot a key\n");
        let err = check_keys(&pasted, &KeyPolicy::default()).unwrap_err();
        assert_eq!(err.len(), 3, "{err:?}");
        assert!(err[0].starts_with("key 2: key options"), "{err:?}");
        assert!(err[1].starts_with("key 3: this key is pasted twice"));
        assert!(err[2].starts_with("key 4: "));
        assert_eq!(
            check_keys(" \n", &KeyPolicy::default()).unwrap_err(),
            ["paste at least one SSH public key"]
        );
    }

    #[test]
    fn pastes_over_the_limits_are_refused_in_one_sentence() {
        let policy = KeyPolicy::default();
        let many: String = (0..15_000u32)
            .map(|i| ed25519_line([(i % 251) as u8; 32], &format!("k{i}")) + "\n")
            .collect();
        assert_eq!(
            check_keys(&many, &policy).unwrap_err(),
            ["a sandbox may carry at most 16 keys; you pasted 15000"]
        );
        let giant = format!("ssh-rsa AAAAB3NzaC1yc2E{}", "A".repeat(1_400_000));
        assert_eq!(
            check_keys(&giant, &policy).unwrap_err(),
            ["you pasted 1.3 MiB; 16 keys of up to 8 KiB each is the most a sandbox takes"]
        );
        let long = format!("{}\nssh-rsa {}", RSA_3072, "A".repeat(20_000));
        assert_eq!(
            check_keys(&long, &policy).unwrap_err(),
            ["key 2: this line is 19.5 KiB long; an SSH public key line may be at most 8 KiB"]
        );
        let small_rsa = KeyPolicy {
            min_rsa_bits: 1024,
            max_rsa_bits: 2048,
            ..KeyPolicy::default()
        };
        assert_eq!(
            check_keys(RSA_3072, &small_rsa).unwrap_err(),
            ["this RSA key has 3072 bits; at most 2048 are accepted"]
        );
    }

    #[test]
    fn only_the_first_ten_problems_are_listed() {
        let pasted = "not a key\n".repeat(16);
        let err = check_keys(&pasted, &KeyPolicy::default()).unwrap_err();
        assert_eq!(err.len(), 11);
        assert!(err[9].starts_with("key 10: "), "{err:?}");
        assert_eq!(err[10], "and 6 more problems");
    }

    #[test]
    fn a_hostile_owner_is_escaped_in_the_comment_and_the_value() {
        let keys = check_keys(&ed25519_line([5; 32], "ann"), &KeyPolicy::default()).unwrap();
        let owner = "dev1\u{2028}owner: admin\nimage: evil";
        let text = render_sandbox("sandboxes/box.yaml", "box", owner, &keys).unwrap();
        assert_eq!(
            text.lines().take(2).collect::<Vec<_>>(),
            [
                "# Sandbox of dev1\\u2028owner: admin\\u000Aimage: evil, created with Berth.",
                "owner: \"dev1\\u2028owner: admin\\u000Aimage: evil\"",
            ]
        );
        assert_eq!(text.lines().count(), 4);
    }

    #[test]
    fn rendered_file_reads_back_with_awkward_comments() {
        let keys = check_keys(
            &format!(
                "{}\n{}",
                ed25519_line([3; 32], "ann: laptop #1"),
                ed25519_line([4; 32], "\"quoted\"")
            ),
            &KeyPolicy::default(),
        )
        .unwrap();
        let text = render_sandbox("sandboxes/ann.yaml", "ann", "ann", &keys).unwrap();
        let (parsed, problems) = parse_sandbox_file("sandboxes/ann.yaml", "ann", &text);
        assert!(problems.is_empty(), "{problems:?}");
        let parsed = parsed.unwrap();
        assert_eq!(parsed.owner.as_deref(), Some("ann"));
        assert_eq!(parsed.keys, keys);
        assert!(text.starts_with("# Sandbox of ann, created with Berth.\nowner: ann\n"));
    }
}
