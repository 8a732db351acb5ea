//! Semantic edits: what a person asked for ("set app-a to feature-x in
//! stg-1"), applied to whatever the file is at the branch head. Because the
//! edit is re-applied to a new head after a rejected push, a concurrent
//! commit to other lines is kept, and only a real conflict is reported.

use similar::TextDiff;

use super::{edit::set_branches, sandbox_edit::render_sandbox, ssh::ParsedKey};

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Point services of one environment at branches (one or many: a
    /// project promotion is one commit).
    SetBranches {
        environment: String,
        file: String,
        changes: Vec<(String, String)>,
    },
    CreateSandbox {
        name: String,
        file: String,
        owner: String,
        keys: Vec<ParsedKey>,
    },
    /// `owner` is the owner the person saw; if the file now names someone
    /// else, the deletion is a conflict. `None` deletes whoever owns it.
    DeleteSandbox {
        name: String,
        file: String,
        owner: Option<String>,
    },
}

/// The result of applying a change to one file.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// New content, or `None` to remove the file.
    Write(Option<String>),
    /// Nothing to commit, with the sentence that says why.
    Unchanged(String),
}

impl Change {
    pub fn file(&self) -> &str {
        match self {
            Change::SetBranches { file, .. }
            | Change::CreateSandbox { file, .. }
            | Change::DeleteSandbox { file, .. } => file,
        }
    }

    /// The `Berth-Action` trailer.
    pub fn action(&self) -> &'static str {
        match self {
            Change::SetBranches { changes, .. } if changes.len() > 1 => "promote-project",
            Change::SetBranches { .. } => "promote",
            Change::CreateSandbox { .. } => "create-sandbox",
            Change::DeleteSandbox { .. } => "delete-sandbox",
        }
    }

    /// The first line of the commit message.
    pub fn summary(&self) -> String {
        match self {
            Change::SetBranches {
                environment,
                changes,
                ..
            } => match changes.as_slice() {
                [(service, branch)] => format!("Point {environment} {service} at {branch}"),
                _ => {
                    let list: Vec<String> =
                        changes.iter().map(|(s, b)| format!("{s}={b}")).collect();
                    format!("Point {environment} at {}", list.join(", "))
                }
            },
            Change::CreateSandbox { name, owner, .. } => {
                format!("Create sandbox {name} for {owner}")
            }
            Change::DeleteSandbox { name, .. } => format!("Delete sandbox {name}"),
        }
    }

    /// Applies the change to the file as it is at the head (`None`: the
    /// file does not exist). `Err` is a conflict to show the person.
    pub fn apply(&self, current: Option<&str>) -> Result<Applied, String> {
        match self {
            Change::SetBranches {
                environment,
                file,
                changes,
            } => {
                let text = current.ok_or_else(|| {
                    format!("{file} does not exist in the GitOps repository, so {environment} cannot be changed")
                })?;
                Ok(match set_branches(file, text, changes)? {
                    Some(text) => Applied::Write(Some(text)),
                    None => Applied::Unchanged(match changes.as_slice() {
                        [(service, branch)] => {
                            format!("{environment} already runs {service} from {branch}; nothing to commit")
                        }
                        _ => {
                            format!("{environment} already runs these branches; nothing to commit")
                        }
                    }),
                })
            }
            Change::CreateSandbox {
                name,
                file,
                owner,
                keys,
            } => match current {
                Some(_) => Err(format!("the sandbox name `{name}` is already taken")),
                None => Ok(Applied::Write(Some(render_sandbox(
                    file, name, owner, keys,
                )?))),
            },
            Change::DeleteSandbox { name, file, owner } => {
                let text = current
                    .ok_or_else(|| format!("the sandbox `{name}` has already been deleted"))?;
                if let Some(expected) = owner {
                    let (parsed, _) = super::files::parse_sandbox_file(file, name, text);
                    let now = parsed.and_then(|p| p.owner);
                    if now.as_deref() != Some(expected.as_str()) {
                        return Err(format!(
                            "the sandbox `{name}` now belongs to {}; reload and try again",
                            now.unwrap_or_else(|| "nobody".into())
                        ));
                    }
                }
                Ok(Applied::Write(None))
            }
        }
    }
}

/// The unified diff of one file, as `git diff` would show it.
pub fn unified_diff(path: &str, before: Option<&str>, after: Option<&str>) -> String {
    let old_name = if before.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".into()
    };
    let new_name = if after.is_some() {
        format!("b/{path}")
    } else {
        "/dev/null".into()
    };
    TextDiff::from_lines(before.unwrap_or(""), after.unwrap_or(""))
        .unified_diff()
        .context_radius(3)
        .header(&old_name, &new_name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::ssh::{ed25519_line, parse_public_key};

    fn promote(changes: &[(&str, &str)]) -> Change {
        Change::SetBranches {
            environment: "stg-1".into(),
            file: "environments/stg-1.yaml".into(),
            changes: changes
                .iter()
                .map(|(s, b)| (s.to_string(), b.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_promotion_diff_changes_exactly_one_line() {
        let before = "# Stg-1\napp-a: \"main\"\napp-b: \"main\"\n";
        let Applied::Write(Some(after)) = promote(&[("app-a", "feature-x")])
            .apply(Some(before))
            .unwrap()
        else {
            panic!("expected a write")
        };
        let diff = unified_diff("environments/stg-1.yaml", Some(before), Some(&after));
        let changed: Vec<&str> = diff
            .lines()
            .filter(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && !l.starts_with("+++")
                    && !l.starts_with("---")
            })
            .collect();
        assert_eq!(changed, ["-app-a: \"main\"", "+app-a: \"feature-x\""]);
        assert!(diff.starts_with("--- a/environments/stg-1.yaml\n+++ b/environments/stg-1.yaml\n"));
    }

    #[test]
    fn summaries_and_actions_name_the_change() {
        assert_eq!(
            promote(&[("app-a", "x")]).summary(),
            "Point stg-1 app-a at x"
        );
        let project = promote(&[("app-a", "x"), ("app-b", "y")]);
        assert_eq!(project.summary(), "Point stg-1 at app-a=x, app-b=y");
        assert_eq!(project.action(), "promote-project");
    }

    #[test]
    fn already_set_is_unchanged_with_a_sentence() {
        let applied = promote(&[("app-a", "main")])
            .apply(Some("app-a: main\n"))
            .unwrap();
        assert_eq!(
            applied,
            Applied::Unchanged("stg-1 already runs app-a from main; nothing to commit".into())
        );
    }

    #[test]
    fn sandbox_conflicts_are_plain_sentences() {
        let key = parse_public_key(&ed25519_line([9; 32], "ann@x")).unwrap();
        let create = Change::CreateSandbox {
            name: "ann".into(),
            file: "sandboxes/ann.yaml".into(),
            owner: "ann".into(),
            keys: vec![key],
        };
        assert_eq!(
            create.apply(Some("owner: bo\n")).unwrap_err(),
            "the sandbox name `ann` is already taken"
        );
        let Applied::Write(Some(text)) = create.apply(None).unwrap() else {
            panic!("expected a new file")
        };
        let delete = |owner: Option<&str>| Change::DeleteSandbox {
            name: "ann".into(),
            file: "sandboxes/ann.yaml".into(),
            owner: owner.map(str::to_string),
        };
        assert_eq!(
            delete(Some("ann")).apply(Some(&text)).unwrap(),
            Applied::Write(None)
        );
        assert!(delete(Some("bo"))
            .apply(Some(&text))
            .unwrap_err()
            .contains("now belongs to ann"));
        assert_eq!(
            delete(None).apply(Some(&text)).unwrap(),
            Applied::Write(None)
        );
        assert!(delete(None)
            .apply(None)
            .unwrap_err()
            .contains("already been deleted"));
        assert!(unified_diff("sandboxes/ann.yaml", Some(&text), None).contains("+++ /dev/null"));
    }
}
