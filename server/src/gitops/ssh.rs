//! OpenSSH public keys as they appear in sandbox files: parsing, and the
//! fingerprint line exactly as `ssh-keygen -lf` prints it.

use ssh_key::{public::KeyData, EcdsaCurve, HashAlg, PublicKey};

use super::names::{describe_code_point, is_hidden};

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedKey {
    /// `256 SHA256:… comment (ED25519)`, as `ssh-keygen -lf` prints it.
    pub fingerprint_line: String,
    pub fingerprint: String,
    pub bits: u32,
    pub algorithm: &'static str,
    pub comment: String,
    /// The canonical one-line form: `type base64 comment`.
    pub canonical: String,
}

/// Parses one `authorized_keys`-style line that must be a bare key: no
/// options such as `command=` in front of it.
pub fn parse_public_key(line: &str) -> Result<ParsedKey, String> {
    let line = line.trim();
    if line.is_empty() {
        return Err("the SSH key is empty".into());
    }
    let first = line.split_whitespace().next().unwrap_or_default();
    if !first.starts_with("ssh-") && !first.starts_with("ecdsa-") && !first.starts_with("sk-") {
        if first.contains('=') || first.contains(',') || looks_like_option(first) {
            return Err(format!(
                "key options such as `{}` are not allowed; paste the bare public key",
                first.split('=').next().unwrap_or(first)
            ));
        }
        return Err(format!("`{}` is not an SSH key type", truncate(first, 40)));
    }
    let key = PublicKey::from_openssh(line)
        .map_err(|err| format!("the SSH key does not parse ({err})"))?;
    let (bits, algorithm) = describe(key.key_data())?;
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
    let comment = key.comment().to_string();
    check_comment(&comment)?;
    let shown_comment = if comment.is_empty() {
        "no comment"
    } else {
        &comment
    };
    let canonical = key
        .to_openssh()
        .map_err(|err| format!("the SSH key cannot be encoded ({err})"))?;
    Ok(ParsedKey {
        fingerprint_line: format!("{bits} {fingerprint} {shown_comment} ({algorithm})"),
        fingerprint,
        bits,
        algorithm,
        comment,
        canonical,
    })
}

/// Refuses comments with characters that are invisible, or line breaks to
/// some readers only: they make a terminal, a reviewer and a YAML 1.1
/// parser see different things. Berth would write them safely escaped,
/// but nobody needs them in a key comment. A plain space is fine.
fn check_comment(comment: &str) -> Result<(), String> {
    match comment.chars().find(|c| *c != ' ' && is_hidden(*c)) {
        None => Ok(()),
        Some(c) => Err(format!(
            "the key comment contains {}; other programs (YAML parsers such as Argo CD's, \
             terminals) would read the comment differently, so remove it",
            describe_code_point(c)
        )),
    }
}

fn looks_like_option(word: &str) -> bool {
    const OPTIONS: &[&str] = &[
        "cert-authority",
        "no-agent-forwarding",
        "no-port-forwarding",
        "no-pty",
        "no-user-rc",
        "no-x11-forwarding",
        "restrict",
        "agent-forwarding",
        "port-forwarding",
        "pty",
    ];
    OPTIONS.contains(&word)
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn describe(data: &KeyData) -> Result<(u32, &'static str), String> {
    Ok(match data {
        KeyData::Ed25519(_) => (256, "ED25519"),
        KeyData::SkEd25519(_) => (256, "ED25519-SK"),
        KeyData::Ecdsa(key) => (curve_bits(key.curve()), "ECDSA"),
        KeyData::SkEcdsaSha2NistP256(_) => (256, "ECDSA-SK"),
        KeyData::Rsa(key) => (mpint_bits(key.n.as_positive_bytes()), "RSA"),
        KeyData::Dsa(key) => (mpint_bits(key.p.as_positive_bytes()), "DSA"),
        _ => return Err("this SSH key type is not supported".into()),
    })
}

fn curve_bits(curve: EcdsaCurve) -> u32 {
    match curve {
        EcdsaCurve::NistP256 => 256,
        EcdsaCurve::NistP384 => 384,
        EcdsaCurve::NistP521 => 521,
    }
}

fn mpint_bits(bytes: Option<&[u8]>) -> u32 {
    let Some(bytes) = bytes else { return 0 };
    let Some(first) = bytes.iter().position(|b| *b != 0) else {
        return 0;
    };
    let significant = &bytes[first..];
    (significant.len() as u32 - 1) * 8 + (8 - significant[0].leading_zeros())
}

/// A well-formed ed25519 public key line made from 32 bytes; used to seed
/// demo sandboxes and tests.
pub fn ed25519_line(public: [u8; 32], comment: &str) -> String {
    let data = KeyData::Ed25519(ssh_key::public::Ed25519PublicKey(public));
    PublicKey::new(data, comment)
        .to_openssh()
        .expect("an ed25519 key always encodes")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Generated with ssh-keygen; each expected line is what `ssh-keygen -lf`
    // printed for the key.
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICHkiJMaAu2E4lSfp/fEW37t2quCNbFlSEpQg6Hq1D/7 kohbis@laptop";
    const ED25519_LF: &str =
        "256 SHA256:dCH7EbLNVqPyDJ3XrgaIMwdx7zuGFwRFOu8Y2Fm7OsQ kohbis@laptop (ED25519)";
    const RSA: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCTDYvnG+pyCOTsntUN01wpnXtu6ayzY5cnd9vPZ1ubr7aEdmxymfbJWZKbyHl2vXmJIZxhsPqfbSPtUZMvbEaev+Zy5hglPybXiptT4OR9uIrKC4WZthitsNcuXw/liT/V31Ol5Hs7ZEUPUAhf20fA2IJHwuWqJjvcfgackepN66MRV36Mhe6SaLIRj74z8SX0JfNRJcJ/9qMv3Osb5fbsSD1rVvW91MxERwUCk/7uAcs7+N75yEHr49DH2HUtHD9+94ni8+iL6i8lkFWDplqIdlTEOwZ9ielKXEjAxM//ktBuVaLBQa1re2mJlhjIb7zupIgXRTsKNJJqRjBDqQkaidjuhxj9F2VmPCljkPw+W3I6NDkgS19ii5LRAa/Mv/rFRB6RfWjH1vG54p3uICTrfxzIYcQmhDws8lHq/HMZuC4de9Cv43MZnb9k0xk2UfKdKps51w0OjF0HvvNbg+k54CatAsZJvSuX6PFU+0IAjOgakIDQXqTT4RR/JtRzOE8= qa@ci";
    const RSA_LF: &str = "3072 SHA256:yx5VJWkqOmaXhoZ22UdZWe3nP8ta6AcA0LA7FFqyKkY qa@ci (RSA)";
    const ECDSA: &str = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBArDgYC+UfFjGgK1EM3bzumx793NJfwYQjYgPo/f/KKSA8YzHs/sOBu1kcHdrJlZljUZIUq9U+K5fenOujH0roVv6iGXypAPpfT697ITWeD0sIFOEpZrCKqiEFXeh4gbtQ== ops";
    const ECDSA_LF: &str = "384 SHA256:33Rn/xQ49AlstOekCw9L93NZHJdukAy9mzqw9gIYtdA ops (ECDSA)";

    #[test]
    fn fingerprint_lines_match_ssh_keygen() {
        for (line, expected) in [(ED25519, ED25519_LF), (RSA, RSA_LF), (ECDSA, ECDSA_LF)] {
            let key = parse_public_key(line).unwrap();
            assert_eq!(key.fingerprint_line, expected);
            assert_eq!(key.canonical, line);
        }
    }

    #[test]
    fn options_are_refused_with_a_clear_message() {
        let err = parse_public_key(&format!("command=\"/bin/sh\" {ED25519}")).unwrap_err();
        assert!(err.contains("not allowed"), "{err}");
        let err = parse_public_key(&format!("no-pty {ED25519}")).unwrap_err();
        assert!(err.contains("not allowed"), "{err}");
    }

    #[test]
    fn garbage_is_refused() {
        assert!(parse_public_key("").is_err());
        assert!(parse_public_key("hello world").is_err());
        assert!(parse_public_key("ssh-ed25519 AAAAnotbase64!!").is_err());
        assert!(parse_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxD").is_err());
    }

    #[test]
    fn generated_lines_parse_back() {
        let line = ed25519_line([7; 32], "demo@berth");
        let key = parse_public_key(&line).unwrap();
        assert_eq!(key.comment, "demo@berth");
        assert_eq!(key.canonical, line);
    }

    #[test]
    fn comments_with_hidden_or_line_breaking_characters_are_refused() {
        let base = ED25519.rsplit_once(' ').unwrap().0;
        for hidden in [
            '\u{2028}', '\u{2029}', '\u{85}', '\u{0}', '\t', '\u{200b}', '\u{202e}', '\u{feff}',
            '\u{a0}', '\u{3000}',
        ] {
            let line = ed25519_line([9; 32], &format!("x{hidden}owner: admin"));
            let err = parse_public_key(&line).unwrap_err();
            assert!(
                err.starts_with(&format!("the key comment contains U+{:04X}", hidden as u32)),
                "{hidden:?}: {err}"
            );
        }
        assert!(parse_public_key(&format!("{base} ann@laptop é 😀")).is_ok());
    }

    #[test]
    fn key_without_comment_says_so() {
        let bare = ED25519.rsplit_once(' ').unwrap().0;
        let key = parse_public_key(bare).unwrap();
        assert!(key.fingerprint_line.contains(" no comment (ED25519)"));
    }
}
