//! Scalars as Berth writes them, so that every mainstream YAML parser reads
//! back exactly the string Berth meant. Only a conservative set of
//! printable ASCII is written plain; everything else is double-quoted with
//! every character outside printable ASCII escaped, because a raw U+2028,
//! U+2029 or U+0085 is a line break to YAML 1.1 parsers (libyaml, Go's
//! yaml.v2 under Argo CD) and text to YAML 1.2: a key comment holding one
//! could otherwise smuggle an `owner:` line past Berth.

use std::fmt::Write;

use super::{parse, Node};

/// `value` plain when every parser reads it back unchanged and as a
/// string, double-quoted otherwise.
pub fn scalar(value: &str) -> String {
    if plain_is_safe(value) {
        value.to_string()
    } else {
        double_quoted(value)
    }
}

/// A double-quoted scalar in printable ASCII only: `"` and `\` are escaped,
/// and so is every other character outside `' '..='~'`, as `\uXXXX` or
/// `\UXXXXXXXX`, which YAML 1.1 and 1.2 decode alike. No raw line break can
/// appear in it, so YAML 1.1's line folding never applies.
pub fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08X}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// A single-quoted scalar, if `value` is printable ASCII: single quotes
/// cannot escape anything else.
pub fn single_quoted(value: &str) -> Option<String> {
    value
        .chars()
        .all(|c| matches!(c, ' '..='~'))
        .then(|| format!("'{}'", value.replace('\'', "''")))
}

/// Text for a `# comment`: printable ASCII as is, anything else escaped
/// like in a double-quoted scalar, since a YAML 1.1 line break would end
/// the comment and start content.
pub fn comment_text(value: &str) -> String {
    let quoted = double_quoted(value);
    quoted[1..quoted.len() - 1]
        .replace("\\\"", "\"")
        .replace("\\\\", "\\")
}

/// Plain only for a letter followed by letters, digits, spaces and
/// `-_./+=@` (enough for SSH keys and branch names), never ending in a
/// space, and never a word YAML 1.1 or 1.2 types (`yes`, `on`, `null`…):
/// no indicator, comment, escape or line break can occur.
fn plain_is_safe(value: &str) -> bool {
    const TYPED_WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_./+=@".contains(c))
        && !value.ends_with(' ')
        && !TYPED_WORDS.contains(&value.to_ascii_lowercase().as_str())
        // Belt and braces: Berth's own reading, with both typings, agrees.
        && matches!(
            parse(&format!("k: {value}")),
            Ok(Some(Node::Mapping { ref entries, .. }))
                if entries.len() == 1 && entries[0].1.as_str() == Some(value)
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ascii_words_stay_unquoted() {
        for plain in [
            "main",
            "release/2.0",
            "ssh-ed25519 AAAA+/= ann@laptop",
            "feature_x",
        ] {
            assert_eq!(scalar(plain), plain);
        }
        for quoted in [
            "yes",
            "On",
            "y",
            "null",
            "1.10",
            "0x1F",
            "~",
            "*alias",
            "&a",
            "!tag",
            "%x",
            "@x",
            "`x",
            "'x",
            "a: b",
            "a #b",
            "a\tb",
            "trailing ",
            "",
            "é",
            "a\u{2028}b",
            ".inf",
        ] {
            assert!(scalar(quoted).starts_with('"'), "{quoted:?}");
        }
    }

    #[test]
    fn everything_outside_printable_ascii_is_escaped() {
        let hostile = "x\u{2028}image:\u{2029} evil\u{85}\u{feff}\0\t\"\\ 😀 é";
        let quoted = double_quoted(hostile);
        assert_eq!(
            quoted,
            r#""x\u2028image:\u2029 evil\u0085\uFEFF\u0000\u0009\"\\ \U0001F600 \u00E9""#
        );
        assert!(quoted.chars().all(|c| matches!(c, ' '..='~')));
        let parsed = parse(&format!("k: {quoted}\n")).unwrap();
        let Some(Node::Mapping { entries, .. }) = parsed else {
            panic!("not a mapping")
        };
        assert_eq!(entries[0].1.as_str(), Some(hostile));
    }

    #[test]
    fn single_quotes_only_hold_printable_ascii() {
        assert_eq!(single_quoted("it's").as_deref(), Some("'it''s'"));
        assert_eq!(single_quoted("a\u{2028}b"), None);
        assert_eq!(
            comment_text("ann\u{2028}owner: x \"q\""),
            "ann\\u2028owner: x \"q\""
        );
    }
}
