//! Where YAML 1.1 parsers (libyaml, PyYAML, Go's yaml.v2 and yaml.v3, so
//! Argo CD and kubectl) read a file differently from Berth's YAML 1.2
//! parser: characters that are line breaks to one and ordinary text to the
//! other, and plain scalars that one types as a boolean or a number and the
//! other as a string. A file Berth cannot read the way Argo CD does is
//! reported, never trusted.

use super::SyntaxError;

/// The first character of `text` that YAML 1.1 and 1.2 parsers read
/// differently, as an error on its 1-based line.
pub fn check_portable(text: &str) -> Result<(), SyntaxError> {
    let mut line = 1;
    for (at, c) in text.char_indices() {
        if c == '\n' {
            line += 1;
            continue;
        }
        if let Some(why) = disagreement(c, at == 0) {
            return Err(SyntaxError {
                line,
                message: format!(
                    "U+{:04X} ({why}) reads differently in Argo CD's YAML parser; \
                     remove it, or write it as \\u{:04X} inside double quotes",
                    c as u32, c as u32
                ),
            });
        }
    }
    Ok(())
}

fn disagreement(c: char, at_start: bool) -> Option<&'static str> {
    match c {
        '\u{85}' => Some("next line: a line break to YAML 1.1 parsers, text to YAML 1.2"),
        '\u{2028}' => Some("line separator: a line break to YAML 1.1 parsers, text to YAML 1.2"),
        '\u{2029}' => {
            Some("paragraph separator: a line break to YAML 1.1 parsers, text to YAML 1.2")
        }
        '\u{feff}' if !at_start => Some("an invisible byte order mark in the middle of the file"),
        '\t' | '\r' => None,
        '\u{fffe}' | '\u{ffff}' => Some("a noncharacter that libyaml refuses"),
        c if c.is_control() => Some("a control character that libyaml refuses"),
        _ => None,
    }
}

/// What a YAML 1.1 parser makes of the plain (unquoted) scalar `plain`, if
/// not a string, phrased for messages. The union of the YAML 1.1 type
/// repository as PyYAML implements it and Go's yaml.v2 (which Argo CD uses
/// through sigs.k8s.io/yaml): a value either of them types is not a string.
pub fn yaml11_type(plain: &str) -> Option<&'static str> {
    const BOOLEANS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
    ];
    Some(if BOOLEANS.contains(&plain) {
        "a boolean to YAML 1.1 parsers such as Argo CD's"
    } else if matches!(plain, "" | "~" | "null" | "Null" | "NULL") {
        "empty to YAML 1.1 parsers such as Argo CD's"
    } else if matches!(plain, "<<" | "=") {
        "a special key to YAML 1.1 parsers such as Argo CD's"
    } else if is_int(plain) || is_float(plain) {
        "a number to YAML 1.1 parsers such as Argo CD's"
    } else if is_timestamp(plain) {
        "a timestamp to YAML 1.1 parsers such as Argo CD's"
    } else {
        return None;
    })
}

fn unsigned(text: &str) -> &str {
    text.strip_prefix(['-', '+']).unwrap_or(text)
}

fn all(text: &str, ok: impl Fn(char) -> bool) -> bool {
    !text.is_empty() && text.chars().all(ok)
}

fn is_int(text: &str) -> bool {
    let digits = unsigned(text);
    let with_underscores = |prefix: &str, ok: fn(char) -> bool| {
        digits
            .strip_prefix(prefix)
            .is_some_and(|rest| all(rest, |c| c == '_' || ok(c)) && rest.chars().any(ok))
    };
    with_underscores("0b", |c| matches!(c, '0' | '1'))
        || with_underscores("0o", |c| matches!(c, '0'..='7'))
        || with_underscores("0x", |c| c.is_ascii_hexdigit())
        || (digits.starts_with(|c: char| c.is_ascii_digit())
            && all(digits, |c| c.is_ascii_digit() || c == '_'))
        || is_sexagesimal(digits)
}

/// `190:20:30`, base 60 in YAML 1.1.
fn is_sexagesimal(text: &str) -> bool {
    let mut parts = text.split(':');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let last = rest.last().map(|l| l.split('.').next().unwrap_or_default());
    first.starts_with(|c: char| c.is_ascii_digit())
        && all(first, |c| c.is_ascii_digit() || c == '_')
        && !rest.is_empty()
        && rest.iter().enumerate().all(|(i, part)| {
            let part = if i + 1 == rest.len() {
                last.unwrap_or(part)
            } else {
                part
            };
            (1..=2).contains(&part.len()) && all(part, |c| c.is_ascii_digit())
        })
}

fn is_float(text: &str) -> bool {
    let body = unsigned(text);
    if matches!(body, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let exponent_ok = exponent.is_none_or(|e| all(unsigned(e), |c| c.is_ascii_digit()));
    let dots = mantissa.matches('.').count();
    exponent_ok
        && dots <= 1
        && (dots == 1 || exponent.is_some())
        && mantissa.chars().any(|c| c.is_ascii_digit())
        && all(mantissa, |c| c.is_ascii_digit() || c == '_' || c == '.')
}

/// `2001-12-14`, alone or followed by a time.
fn is_timestamp(text: &str) -> bool {
    let mut parts = text.splitn(3, '-');
    let (Some(year), Some(month), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let day_len = rest.chars().take_while(char::is_ascii_digit).count();
    let after = &rest[day_len..];
    year.len() == 4
        && all(year, |c| c.is_ascii_digit())
        && (1..=2).contains(&month.len())
        && all(month, |c| c.is_ascii_digit())
        && (1..=2).contains(&day_len)
        && (after.is_empty() || after.starts_with(['T', 't', ' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_types_what_1_2_leaves_a_string() {
        for typed in [
            "y",
            "N",
            "yes",
            "on",
            "OFF",
            "~",
            "0x1F",
            "0o7",
            "0b101",
            "1_000",
            "012",
            "08",
            "1e3",
            "1.5",
            "-2.5e+3",
            ".inf",
            "-.Inf",
            ".NaN",
            "190:20:30",
            "2001-12-14",
            "2001-12-14t21:59:43.10-05:00",
            "<<",
        ] {
            assert!(yaml11_type(typed).is_some(), "{typed} should be typed");
        }
        for string in [
            "main",
            "yesterday",
            "feature/on",
            "1.2.3",
            "2fa",
            "v1.0",
            "release-2024-01-02",
            "0x",
            "e3",
            ".",
            "1-2",
            "12:30:45:x",
            "2024-01",
            "a:b",
        ] {
            assert_eq!(yaml11_type(string), None, "{string} is a string");
        }
    }

    #[test]
    fn line_breaks_of_yaml_1_1_and_control_characters_are_found_with_their_line() {
        let err = check_portable("a: x\n# c\u{2028}owner: admin\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.starts_with("U+2028 (line separator"), "{err:?}");
        assert!(err
            .message
            .contains("reads differently in Argo CD's YAML parser"));
        for c in [
            '\u{85}', '\u{2029}', '\u{0}', '\u{7f}', '\u{9f}', '\u{feff}', '\u{ffff}',
        ] {
            assert!(check_portable(&format!("a: x{c}y\n")).is_err(), "{c:?}");
        }
        assert!(check_portable("\u{feff}a: x\r\n\tb: 日本語 😀\n").is_ok());
    }
}
