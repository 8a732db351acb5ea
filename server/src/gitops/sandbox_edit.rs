//! Writing sandbox files: which pasted SSH keys are acceptable, and the
//! exact file Berth commits for a new sandbox. Pure, so every rule is
//! tested without git.

use serde::{Deserialize, Serialize};

use super::{
    edit::scalar,
    files::parse_sandbox_file,
    ssh::{parse_public_key, ParsedKey},
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
}

impl Default for KeyPolicy {
    fn default() -> Self {
        KeyPolicy {
            allowed: default_allowed(),
            min_rsa_bits: default_min_rsa_bits(),
        }
    }
}

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
        Ok(())
    }
}

/// Reads pasted keys, one per line (blank lines ignored). Every problem is
/// reported, numbered by the key's line, so the person fixes them in one go.
pub fn check_keys(pasted: &str, policy: &KeyPolicy) -> Result<Vec<ParsedKey>, Vec<String>> {
    let mut keys: Vec<ParsedKey> = Vec::new();
    let mut problems = Vec::new();
    let lines: Vec<&str> = pasted.lines().filter(|l| !l.trim().is_empty()).collect();
    for (i, line) in lines.iter().enumerate() {
        let label = if lines.len() > 1 {
            format!("key {}: ", i + 1)
        } else {
            String::new()
        };
        match parse_public_key(line).and_then(|key| policy.check(&key).map(|()| key)) {
            Ok(key) if keys.iter().any(|k| k.fingerprint == key.fingerprint) => problems.push(
                format!("{label}this key is pasted twice ({})", key.fingerprint),
            ),
            Ok(key) => keys.push(key),
            Err(why) => problems.push(format!("{label}{why}")),
        }
    }
    if lines.is_empty() {
        problems.push("paste at least one SSH public key".into());
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
    let mut text = format!(
        "# Sandbox of {owner}, created with Berth.\nowner: {}\nsshPublicKeys:\n",
        scalar(owner)
    );
    for key in keys {
        text.push_str(&format!("  - {}\n", scalar(&key.canonical)));
    }
    let (parsed, problems) = parse_sandbox_file(file, name, &text);
    match parsed {
        Some(p) if problems.is_empty() && p.keys == keys && p.owner.as_deref() == Some(owner) => {
            Ok(text)
        }
        _ => Err(format!(
            "Berth could not write {file} so that it reads back the same; nothing was committed"
        )),
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
