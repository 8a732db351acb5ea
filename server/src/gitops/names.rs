//! Validation of the names that end up in the GitOps repository: branch
//! names (git's ref-name rules, plus no invisible characters) and sandbox
//! names (DNS-1123 labels).

/// Checks a branch name against the rules of `git check-ref-format --branch`,
/// and refuses what git allows but people cannot see: a branch `main` with
/// a zero-width space is not `main`, yet every page would show it as `main`.
pub fn check_branch_name(name: &str) -> Result<(), String> {
    let fail = |why: &str| {
        Err(format!(
            "`{}` is not a valid branch name: {why}",
            show_hidden(name)
        ))
    };
    if name.is_empty() {
        return Err("the branch name is empty".into());
    }
    if name == "@" {
        return fail("it cannot be `@` alone");
    }
    if name.starts_with('-') {
        return fail("it cannot start with `-`");
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return fail("it cannot start or end with `/` or contain `//`");
    }
    if name.ends_with('.') {
        return fail("it cannot end with `.`");
    }
    if name.contains("..") {
        return fail("it cannot contain `..`");
    }
    if name.contains("@{") {
        return fail("it cannot contain `@{`");
    }
    if let Some(c) = name.chars().find(|c| {
        c.is_ascii_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\')
    }) {
        return fail(&format!("it cannot contain {c:?}"));
    }
    if let Some(what) = hidden_character(name) {
        return fail(&format!(
            "it contains {what}, which makes it look like another name; \
             rename the branch without it"
        ));
    }
    for component in name.split('/') {
        if component.starts_with('.') {
            return fail("no part of it can start with `.`");
        }
        if component.ends_with(".lock") {
            return fail("no part of it can end with `.lock`");
        }
    }
    Ok(())
}

/// The first character of `text` that shows as nothing, as blank or not at
/// all the way it is stored, described with its code point for messages:
/// control characters, whitespace of any kind (line and paragraph
/// separators included), format characters (general category Cf: zero-width
/// spaces, bidirectional overrides and isolates, the byte order mark),
/// other default-ignorable code points, and U+FFFD, which stands for bytes
/// that were not text.
pub fn hidden_character(text: &str) -> Option<String> {
    text.chars()
        .find(|c| is_hidden(*c))
        .map(describe_code_point)
}

/// `U+200B (zero width space)`: a character people cannot see, named.
pub fn describe_code_point(c: char) -> String {
    let what = match c {
        '\u{85}' => "next line",
        '\u{a0}' => "no-break space",
        '\u{ad}' => "soft hyphen",
        '\u{200b}' => "zero width space",
        '\u{200c}' => "zero width non-joiner",
        '\u{200d}' => "zero width joiner",
        '\u{200e}' => "left-to-right mark",
        '\u{200f}' => "right-to-left mark",
        '\u{2028}' => "line separator",
        '\u{2029}' => "paragraph separator",
        '\u{202a}'..='\u{202e}' => "a bidirectional embedding or override",
        '\u{2060}' => "word joiner",
        '\u{2066}'..='\u{2069}' => "a bidirectional isolate",
        '\u{3000}' => "ideographic space",
        '\u{feff}' => "zero width no-break space",
        '\u{fffd}' => "the replacement character, left where bytes were not text",
        c if c.is_control() => "a control character",
        c if c.is_whitespace() => "a space character",
        _ => "an invisible character",
    };
    format!("U+{:04X} ({what})", c as u32)
}

/// Text from outside (a commit subject, an author) as one line people can
/// read: every hidden character (controls, line breaks, bidirectional
/// overrides, zero-width ones) becomes a space, and it is cut to `max`
/// characters.
pub fn visible_line(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c != ' ' && is_hidden(c) { ' ' } else { c })
        .take(max)
        .collect()
}

pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || c.is_whitespace()
        || matches!(
            c,
            // Format characters (Cf) and default-ignorable code points.
            '\u{ad}'
                | '\u{34f}'
                | '\u{600}'..='\u{605}'
                | '\u{61c}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{890}'..='\u{891}'
                | '\u{8e2}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fffb}'
                | '\u{fffd}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

/// `text` with every hidden character written as `\u{200B}`, so a message
/// quoting a name shows what is in it.
pub fn show_hidden(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) && c != ' ' {
            shown.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            shown.push(c);
        }
    }
    shown
}

/// Checks a sandbox name: a DNS-1123 label that starts with a letter, as it
/// becomes a hostname, an Argo CD Application name and a file name.
pub fn check_sandbox_name(name: &str) -> Result<(), String> {
    let fail = |why: &str| Err(format!("`{name}` is not a valid sandbox name: {why}"));
    if name.is_empty() {
        return Err("the sandbox name is empty".into());
    }
    if name.len() > 63 {
        return fail("it is longer than 63 characters");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return fail("it must start with a lowercase letter");
    }
    if name.ends_with('-') {
        return fail("it cannot end with `-`");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return fail(&format!(
            "only lowercase letters, digits and `-` are allowed, not {c:?}"
        ));
    }
    Ok(())
}

/// A branch name as it appears in an image tag or URL path segment:
/// lowercase, with every run of other characters turned into one `-`.
pub fn branch_slug(branch: &str) -> String {
    let mut slug = String::with_capacity(branch.len());
    for c in branch.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_branches() {
        for ok in [
            "main",
            "master",
            "feature-xxx",
            "feature/login-form",
            "release/2026.11",
            "v1.2",
        ] {
            assert_eq!(check_branch_name(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_what_git_refuses() {
        for bad in [
            "",
            "@",
            "-x",
            "/x",
            "x/",
            "a//b",
            "a..b",
            "x.",
            "a b",
            "a~b",
            "a^b",
            "a:b",
            "a?b",
            "a*b",
            "a[b",
            "a\\b",
            "a@{b",
            ".hidden",
            "a/.b",
            "x.lock",
            "a/b.lock/c",
            "tab\tx",
        ] {
            assert!(check_branch_name(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn refuses_invisible_and_blank_characters_git_allows() {
        // Each looks like `main` (or `main` and something blank) on a page.
        for (c, what) in [
            ('\u{200b}', "U+200B (zero width space)"),
            ('\u{200c}', "U+200C (zero width non-joiner)"),
            ('\u{200d}', "U+200D (zero width joiner)"),
            ('\u{200e}', "U+200E (left-to-right mark)"),
            ('\u{200f}', "U+200F (right-to-left mark)"),
            ('\u{2060}', "U+2060 (word joiner)"),
            ('\u{feff}', "U+FEFF (zero width no-break space)"),
            ('\u{202a}', "U+202A (a bidirectional embedding or override)"),
            ('\u{202e}', "U+202E (a bidirectional embedding or override)"),
            ('\u{2066}', "U+2066 (a bidirectional isolate)"),
            ('\u{2069}', "U+2069 (a bidirectional isolate)"),
            ('\u{2028}', "U+2028 (line separator)"),
            ('\u{2029}', "U+2029 (paragraph separator)"),
            ('\u{85}', "U+0085 (next line)"),
            ('\u{a0}', "U+00A0 (no-break space)"),
            ('\u{3000}', "U+3000 (ideographic space)"),
            ('\u{2003}', "U+2003 (a space character)"),
            ('\u{9b}', "U+009B (a control character)"),
            ('\u{ad}', "U+00AD (soft hyphen)"),
            ('\u{fe0f}', "U+FE0F (an invisible character)"),
            ('\u{e0041}', "U+E0041 (an invisible character)"),
            ('\u{fffd}', "U+FFFD (the replacement character"),
        ] {
            let name = format!("main{c}");
            // git itself takes them all.
            assert!(!name.chars().any(|c| c.is_ascii_control() || c == ' '));
            let err = check_branch_name(&name).unwrap_err();
            assert!(err.contains(&format!("it contains {what}")), "{err}");
            let escaped = format!("`main\\u{{{:04X}}}` is not a valid branch name", c as u32);
            assert!(err.starts_with(&escaped), "{err}");
        }
        for ok in ["feature/café", "日本語", "fix-😀", "ß"] {
            assert_eq!(check_branch_name(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn sandbox_names_are_dns_labels() {
        for ok in ["kohbis", "a", "dev-2", &"a".repeat(63)] {
            assert_eq!(check_sandbox_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "Kohbis",
            "2cool",
            "-x",
            "x-",
            "a.b",
            "a/b",
            "../etc",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(check_sandbox_name(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn slugs_are_tag_safe() {
        assert_eq!(branch_slug("feature/Login_Form"), "feature-login-form");
        assert_eq!(branch_slug("main"), "main");
    }
}
