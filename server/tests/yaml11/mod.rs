//! How a YAML 1.1 reader sees a file Berth wrote, independently of Berth's
//! own parser: the structure as libyaml reads it (serde_yaml 0.9 is built
//! on unsafe-libyaml, a translation of libyaml, the lineage of Go's yaml.v2
//! and yaml.v3 that Argo CD uses), and, because serde_yaml types plain
//! scalars by YAML 1.2 rules, the unquoted values Go's yaml.v2 would type
//! as a boolean, a number, null or a timestamp.

#![allow(dead_code)]

use serde_yaml::{Mapping, Value};

/// The document as libyaml reads it.
pub fn libyaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|err| panic!("libyaml refuses {text:?}: {err}"))
}

/// `owner` and the key lines, as the sandbox file must read.
pub fn sandbox_value(owner: &str, keys: &[String]) -> Value {
    let mut mapping = Mapping::new();
    mapping.insert("owner".into(), owner.into());
    let keys = keys.iter().map(|k| Value::from(k.as_str())).collect();
    mapping.insert("sshPublicKeys".into(), Value::Sequence(keys));
    Value::Mapping(mapping)
}

/// `service: branch` pairs, as an environment file must read.
pub fn environment_value(entries: &[(String, String)]) -> Value {
    let mut mapping = Mapping::new();
    for (service, branch) in entries {
        mapping.insert(service.as_str().into(), branch.as_str().into());
    }
    Value::Mapping(mapping)
}

/// Every unquoted key or value in `text` that yaml.v2 types as something
/// other than a string. Handles the one-scalar-per-line shape Berth writes.
pub fn typed_plain_scalars(text: &str) -> Vec<String> {
    let mut typed = Vec::new();
    for line in text.lines() {
        let mut rest = line.trim_start();
        if rest.starts_with('#') || rest.is_empty() {
            continue;
        }
        if let Some(item) = rest.strip_prefix("- ") {
            rest = item;
        }
        while !rest.is_empty() {
            let (token, plain, after) = scalar_token(rest);
            if plain && yaml_v2_types(token.trim()) {
                typed.push(token.trim().to_string());
            }
            rest = after
                .trim_start()
                .strip_prefix(':')
                .map(str::trim_start)
                .unwrap_or("");
            if rest.starts_with('#') {
                break;
            }
        }
    }
    typed
}

/// The scalar at the start of `text`: its text, whether it is plain, and
/// what follows it.
fn scalar_token(text: &str) -> (&str, bool, &str) {
    let bytes = text.as_bytes();
    match bytes[0] {
        b'"' => {
            let mut i = 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            let end = (i + 1).min(text.len());
            (&text[..end], false, &text[end..])
        }
        b'\'' => {
            let mut i = 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' && bytes.get(i + 1) != Some(&b'\'') {
                    break;
                }
                i += if bytes[i] == b'\'' { 2 } else { 1 };
            }
            let end = (i + 1).min(text.len());
            (&text[..end], false, &text[end..])
        }
        _ => {
            let end = [text.find(": "), text.find(" #")]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(text.len());
            let end = if end == text.len() && text.ends_with(':') {
                end - 1
            } else {
                end
            };
            (&text[..end], true, &text[end..])
        }
    }
}

/// Go yaml.v2's resolve(), written out again for the test.
fn yaml_v2_types(plain: &str) -> bool {
    const WORDS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL", "",
        "<<",
    ];
    if WORDS.contains(&plain) {
        return true;
    }
    let unsigned = plain.trim_start_matches(['+', '-']);
    if matches!(
        unsigned,
        ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
    ) {
        return true;
    }
    let digits = unsigned.replace('_', "");
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = digits.strip_prefix(prefix) {
            return u64::from_str_radix(rest, radix).is_ok();
        }
    }
    let numeric = unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits.parse::<f64>().is_ok();
    let b = plain.as_bytes();
    let timestamp = b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
    numeric || timestamp
}

#[test]
fn the_yaml_v2_typing_of_the_test_is_itself_right() {
    let text = "a: yes\n\"b\": 'on'\nc: \"1e3\"\n  - 0x1F\n  - main # no\nd: 2001-12-14\n";
    assert_eq!(typed_plain_scalars(text), ["yes", "0x1F", "2001-12-14"]);
}
