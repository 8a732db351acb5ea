//! Validation of the names that end up in the GitOps repository: branch
//! names (git's ref-name rules) and sandbox names (DNS-1123 labels).

/// Checks a branch name against the rules of `git check-ref-format --branch`.
pub fn check_branch_name(name: &str) -> Result<(), String> {
    let fail = |why: &str| Err(format!("`{name}` is not a valid branch name: {why}"));
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
