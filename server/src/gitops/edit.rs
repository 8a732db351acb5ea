//! Format-preserving edits of environment files: setting `service: branch`
//! rewrites exactly the value on that one line, in the quoting style it had,
//! and leaves comments, blank lines, key order and every other line alone.
//! Every edit is proven by parsing the result again; an edit that cannot be
//! made that way is refused rather than written. Values are rendered by
//! `yaml::write`, so Argo CD's YAML 1.1 parser reads what Berth reads.

use super::{
    files::{describe_size, parse_environment_file, MAX_FILE_BYTES},
    names::check_branch_name,
    yaml::{self, double_quoted, scalar, single_quoted, Node, ScalarStyle},
};

/// Sets each `(service, branch)` in the environment file `text`. `Ok(None)`
/// means every service already points at its branch: nothing to commit.
pub fn set_branches(
    file: &str,
    text: &str,
    changes: &[(String, String)],
) -> Result<Option<String>, String> {
    if text.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{file} is {}, more than the {} Berth edits; change it by hand",
            describe_size(text.len() as u64),
            describe_size(MAX_FILE_BYTES as u64)
        ));
    }
    let before = parse_environment_file(file, text);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut appended = Vec::new();
    let mut changed = false;
    let entries = top_entries(file, text)?;
    for (service, branch) in changes {
        check_branch_name(branch)?;
        let matches: Vec<&(Node, Node)> = entries
            .iter()
            .filter(|(key, _)| key.as_str() == Some(service.as_str()))
            .collect();
        match matches.as_slice() {
            [] => {
                // New entries are written the way the contract shows them: `app-a: "x"`.
                appended.push(format!("{}: {}", scalar(service), double_quoted(branch)));
                changed = true;
            }
            [(_, value)] => {
                if value.as_str() == Some(branch.as_str()) {
                    continue;
                }
                replace_value(file, &mut lines, service, value, branch)?;
                changed = true;
            }
            _ => {
                return Err(format!(
                    "`{service}` is listed more than once in {file}; fix the file by hand first"
                ))
            }
        }
    }
    if !changed {
        return Ok(None);
    }
    lines.extend(appended);
    // A file written on Windows keeps its line endings.
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = lines.join(newline);
    out.push_str(newline);
    prove(file, &before, &out, changes)?;
    Ok(Some(out))
}

fn top_entries(file: &str, text: &str) -> Result<Vec<(Node, Node)>, String> {
    // Berth's proof of an edit is its own reading; it proves nothing for a
    // file that Argo CD reads differently.
    if let Err(err) = yaml::check_portable(text) {
        return Err(format!(
            "{file} line {}: {}; fix it by hand first",
            err.line, err.message
        ));
    }
    match yaml::parse(text) {
        Ok(None) => Ok(Vec::new()),
        Ok(Some(Node::Mapping { entries, .. })) => Ok(entries),
        Ok(Some(other)) => Err(format!(
            "{file} must be a mapping of service to branch, not {}",
            other.kind()
        )),
        Err(err) => Err(format!(
            "{file} is not valid YAML (line {}: {}); fix it by hand first",
            err.line, err.message
        )),
    }
}

/// Rewrites the scalar `value` in place on its own line.
fn replace_value(
    file: &str,
    lines: &mut [String],
    service: &str,
    value: &Node,
    branch: &str,
) -> Result<(), String> {
    let cannot = || {
        format!("the value of `{service}` in {file} spans several lines or is not a plain string; edit it by hand")
    };
    let Node::Scalar {
        style, line, col, ..
    } = value
    else {
        return Err(cannot());
    };
    let text = lines.get_mut(line.wrapping_sub(1)).ok_or_else(cannot)?;
    let chars: Vec<char> = text.chars().collect();
    let end = scalar_end(&chars, *col, *style).ok_or_else(cannot)?;
    let rendered = match style {
        ScalarStyle::DoubleQuoted => double_quoted(branch),
        // A branch with characters single quotes cannot escape switches
        // to double quotes rather than being written raw.
        ScalarStyle::SingleQuoted => single_quoted(branch).unwrap_or_else(|| double_quoted(branch)),
        ScalarStyle::Plain => scalar(branch),
        _ => return Err(cannot()),
    };
    let head: String = chars[..*col].iter().collect();
    let tail: String = chars[end..].iter().collect();
    *text = format!("{head}{rendered}{tail}");
    Ok(())
}

/// Where a one-line scalar starting at `start` ends (exclusive), or `None`
/// if it does not end on this line.
fn scalar_end(chars: &[char], start: usize, style: ScalarStyle) -> Option<usize> {
    match style {
        ScalarStyle::DoubleQuoted => {
            let mut i = start + 1;
            while i < chars.len() {
                match chars[i] {
                    '\\' => i += 2,
                    '"' => return Some(i + 1),
                    _ => i += 1,
                }
            }
            None
        }
        ScalarStyle::SingleQuoted => {
            let mut i = start + 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    return Some(i + 1);
                }
                i += 1;
            }
            None
        }
        ScalarStyle::Plain => {
            let mut end = chars.len();
            for i in start..chars.len() {
                if chars[i] == '#' && i > start && chars[i - 1].is_whitespace() {
                    end = i;
                    break;
                }
            }
            while end > start && chars[end - 1].is_whitespace() {
                end -= 1;
            }
            (end > start).then_some(end)
        }
        _ => None,
    }
}

/// Parses the edited text and checks that it says exactly what was asked:
/// each changed service has its new branch and every other entry and every
/// problem is as before.
fn prove(
    file: &str,
    before: &super::files::EnvironmentFile,
    after_text: &str,
    changes: &[(String, String)],
) -> Result<(), String> {
    let after = parse_environment_file(file, after_text);
    let mut expected: Vec<(String, String)> = before
        .entries
        .iter()
        .map(|e| (e.service.clone(), e.branch.clone()))
        .collect();
    for (service, branch) in changes {
        match expected.iter_mut().find(|(s, _)| s == service) {
            Some(entry) => entry.1 = branch.clone(),
            None => expected.push((service.clone(), branch.clone())),
        }
    }
    let actual: Vec<(String, String)> = after
        .entries
        .iter()
        .map(|e| (e.service.clone(), e.branch.clone()))
        .collect();
    let mut sorted_expected = expected.clone();
    sorted_expected.sort();
    let mut sorted_actual = actual;
    sorted_actual.sort();
    if sorted_expected != sorted_actual || after.problems.len() > before.problems.len() {
        return Err(format!(
            "Berth could not change {file} without disturbing other lines; edit it by hand"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: &str = "# Dev environment. Edit via Berth or by hand; both are fine.\napp-a: \"feature-xxx\"\n\napp-b: 'master'   # pinned for the demo\napp-c: main\n";

    fn set(text: &str, service: &str, branch: &str) -> Result<Option<String>, String> {
        set_branches("dev.yaml", text, &[(service.into(), branch.into())])
    }

    fn changed_lines(a: &str, b: &str) -> Vec<(String, String)> {
        a.lines()
            .zip(b.lines())
            .filter(|(x, y)| x != y)
            .map(|(x, y)| (x.to_string(), y.to_string()))
            .collect()
    }

    #[test]
    fn each_quoting_style_is_kept_and_only_one_line_changes() {
        let out = set(DEV, "app-a", "feature-yyy").unwrap().unwrap();
        assert_eq!(
            changed_lines(DEV, &out),
            [(
                "app-a: \"feature-xxx\"".into(),
                "app-a: \"feature-yyy\"".into()
            )]
        );
        let out = set(DEV, "app-b", "it's").unwrap().unwrap();
        assert!(
            out.contains("app-b: 'it''s'   # pinned for the demo\n"),
            "{out}"
        );
        let out = set(DEV, "app-c", "release/2.0").unwrap().unwrap();
        assert!(out.ends_with("app-c: release/2.0\n"), "{out}");
        assert_eq!(out.lines().count(), DEV.lines().count());
    }

    #[test]
    fn a_plain_value_that_would_change_type_gets_quoted() {
        let out = set(DEV, "app-c", "1.10").unwrap().unwrap();
        assert!(out.ends_with("app-c: \"1.10\"\n"), "{out}");
        let out = set(DEV, "app-c", "true").unwrap().unwrap();
        assert!(out.ends_with("app-c: \"true\"\n"), "{out}");
    }

    #[test]
    fn a_new_service_is_appended_as_one_line() {
        let out = set(DEV, "app-d", "feature/x").unwrap().unwrap();
        assert_eq!(out, format!("{DEV}app-d: \"feature/x\"\n"));
        let no_newline = DEV.trim_end();
        let out = set(no_newline, "app-d", "x").unwrap().unwrap();
        assert_eq!(out, format!("{DEV}app-d: \"x\"\n"));
        assert_eq!(set("", "app-a", "x").unwrap().unwrap(), "app-a: \"x\"\n");
    }

    #[test]
    fn crlf_files_keep_their_line_endings() {
        let out = set("a: x\r\nb: y\r\n", "b", "z").unwrap().unwrap();
        assert_eq!(out, "a: x\r\nb: z\r\n");
    }

    #[test]
    fn setting_the_current_value_is_no_change() {
        assert_eq!(set(DEV, "app-a", "feature-xxx").unwrap(), None);
        assert_eq!(set(DEV, "app-c", "main").unwrap(), None);
    }

    #[test]
    fn several_services_change_in_one_edit() {
        let out = set_branches(
            "stg-1.yaml",
            DEV,
            &[
                ("app-a".into(), "qa-1".into()),
                ("app-c".into(), "qa-1".into()),
            ],
        )
        .unwrap()
        .unwrap();
        assert_eq!(changed_lines(DEV, &out).len(), 2);
    }

    #[test]
    fn bad_input_is_refused_and_explained() {
        assert!(set(DEV, "app-a", "bad..name").unwrap_err().contains(".."));
        assert!(set("a: [x\n", "a", "y")
            .unwrap_err()
            .contains("not valid YAML"));
        assert!(set("- a\n", "a", "y").unwrap_err().contains("mapping"));
        let twice = "a: x\na: y\n";
        assert!(set(twice, "a", "z").unwrap_err().contains("more than once"));
        let block = "a: |\n  x\n";
        assert!(set(block, "a", "z").unwrap_err().contains("by hand"));
    }

    #[test]
    fn escaped_quotes_and_comments_with_hashes_survive() {
        let text = "a: \"x\\\"y\" # note: \"keep\"\nb: plain # c\n";
        let out = set(text, "a", "z").unwrap().unwrap();
        assert_eq!(out, "a: \"z\" # note: \"keep\"\nb: plain # c\n");
        let out = set(text, "b", "w").unwrap().unwrap();
        assert_eq!(out, "a: \"x\\\"y\" # note: \"keep\"\nb: w # c\n");
    }

    #[test]
    fn hostile_branches_are_written_in_printable_ascii_only() {
        // YAML 1.1 would read `on` as a boolean; U+2028/U+0085 (line
        // breaks to YAML 1.1) are refused as branch names before this.
        for hidden in ["x\u{2028}app-b\u{2028}evil", "x\u{85}y"] {
            let err = set(DEV, "app-a", hidden).unwrap_err();
            assert!(err.contains("U+"), "{err}");
        }
        for branch in ["on", "yes", "Y", "é", "a#b"] {
            // Double-quoted, single-quoted, plain, and a new line.
            for service in ["app-a", "app-b", "app-c", "app-d"] {
                let out = set(DEV, service, branch).unwrap().unwrap();
                let new: Vec<&str> = out
                    .lines()
                    .filter(|l| !DEV.lines().any(|d| d == *l))
                    .collect();
                assert_eq!(new.len(), 1, "{out}");
                assert!(
                    new[0].chars().all(|c| matches!(c, ' '..='~')),
                    "{service} = {branch:?} written as {:?}",
                    new[0]
                );
                assert!(
                    new[0].contains(": \"") || new[0].contains(": '"),
                    "{:?} must be quoted",
                    new[0]
                );
                let parsed = parse_environment_file("dev.yaml", &out);
                assert_eq!(parsed.branch_of(service), Some(branch));
            }
        }
    }

    #[test]
    fn files_argo_cd_reads_differently_or_too_large_are_not_edited() {
        let smuggled = "app-a: x\n# note\u{2028}app-b: evil\n";
        let err = set(smuggled, "app-a", "y").unwrap_err();
        assert!(err.contains("line 2: U+2028"), "{err}");
        assert!(
            err.contains("reads differently in Argo CD's YAML parser"),
            "{err}"
        );
        let huge = format!("app-a: x\n{}", "# padding\n".repeat(30_000));
        let err = set(&huge, "app-a", "y").unwrap_err();
        assert!(err.contains("more than the 256 KiB Berth edits"), "{err}");
    }

    #[test]
    fn flow_mappings_are_edited_in_place_or_refused() {
        let text = "{a: x, b: y}\n";
        match set(text, "b", "z") {
            Ok(Some(out)) => assert_eq!(out, "{a: x, b: z}\n"),
            Ok(None) => panic!("a change was expected"),
            Err(err) => assert!(err.contains("by hand"), "{err}"),
        }
        assert!(set(text, "c", "z").is_err());
    }
}
