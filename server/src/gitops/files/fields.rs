//! The fields of a sandbox file: its owner and its SSH keys, each read
//! only as every parser reads it, with what is wrong reported by line.

use super::{describe_size, Problem, MAX_KEYS_READ, MAX_KEY_BYTES_READ};
use crate::gitops::{
    ssh::{parse_public_key, ParsedKey},
    yaml::Node,
};

/// The owner as written. Not trimmed: YAML 1.1 parsers and templates keep
/// the spaces of `" dev1 "`, so trimming would let `dev1` delete a sandbox
/// that, to Argo CD, belongs to someone else.
pub(super) fn read_owner(file: &str, value: &Node, problems: &mut Vec<Problem>) -> Option<String> {
    let message = match value.as_str() {
        Some("") => "`owner` is empty".to_string(),
        Some(owner) if owner.trim() != owner => format!(
            "`owner` {owner:?} has spaces around it; Argo CD and other tools keep them, \
             so it names nobody in Berth; remove them"
        ),
        Some(owner) => return Some(owner.to_string()),
        None => format!("`owner` must be a name, not {}", value.kind()),
    };
    problems.push(Problem::at(file, value.line(), message));
    None
}

/// `expires`: a date `YYYY-MM-DD`, the sandbox's last day. Anything else
/// is a problem and the sandbox does not expire: deleting on a misread
/// date would lose someone's work.
pub(super) fn read_expires(
    file: &str,
    value: &Node,
    problems: &mut Vec<Problem>,
) -> Option<jiff::civil::Date> {
    let message = match value.as_str() {
        Some(text) => match parse_day(text) {
            Some(date) => return Some(date),
            None => format!(
                "`expires` must be a date like 2026-12-31, not {:?}",
                text.chars().take(40).collect::<String>()
            ),
        },
        None => format!(
            "`expires` must be a date like 2026-12-31, not {}",
            value.kind()
        ),
    };
    problems.push(Problem::at(file, value.line(), message));
    None
}

/// `YYYY-MM-DD` exactly, as Berth writes it.
pub fn parse_day(text: &str) -> Option<jiff::civil::Date> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped.then(|| text.parse().ok()).flatten()
}

/// The keys of `sshPublicKeys`, the first `MAX_KEYS_READ` of them; keys
/// that do not parse or repeat one listed before are reported.
pub(super) fn read_keys(
    file: &str,
    value: &Node,
    keys: &mut Vec<ParsedKey>,
    problems: &mut Vec<Problem>,
) {
    let Node::Sequence { items, .. } = value else {
        problems.push(Problem::at(
            file,
            value.line(),
            format!("`sshPublicKeys` must be a list, not {}", value.kind()),
        ));
        return;
    };
    if items.len() > MAX_KEYS_READ {
        problems.push(Problem::at(
            file,
            value.line(),
            format!(
                "this sandbox lists {} keys; Berth reads only the first {MAX_KEYS_READ}",
                items.len()
            ),
        ));
    }
    for item in items.iter().take(MAX_KEYS_READ) {
        let parsed = match item.as_str() {
            None => Err(format!("an SSH key must be a string, not {}", item.kind())),
            // Too long to be a real key: not worth parsing.
            Some(line) if line.len() > MAX_KEY_BYTES_READ => Err(format!(
                "this key is {} long; Berth reads keys of up to {}, so it was not read",
                describe_size(line.len() as u64),
                describe_size(MAX_KEY_BYTES_READ as u64)
            )),
            Some(line) => parse_public_key(line),
        };
        match parsed {
            Ok(key) if keys.iter().any(|k| k.fingerprint == key.fingerprint) => {
                problems.push(Problem::at(
                    file,
                    item.line(),
                    format!("key {} is listed twice", key.fingerprint),
                ))
            }
            Ok(key) => keys.push(key),
            Err(why) => problems.push(Problem::at(file, item.line(), why)),
        }
    }
}
