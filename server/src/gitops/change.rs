//! Semantic edits: what a person asked for ("set app-a to feature-x in
//! stg-1"), applied to whatever the file is at the branch head. Because the
//! edit is re-applied to a new head after a rejected push, a concurrent
//! commit to other lines is kept, and only a real conflict is reported.
//! An edit that cannot be made at all is told apart from a conflict: the
//! first needs the person to fix the input or the file, the second only
//! a reload.

use app::model::AuditAction;
use similar::TextDiff;

use super::{
    edit::set_branches,
    files::{describe_size, MAX_FILE_BYTES},
    sandbox_edit::{render_sandbox_until, set_expires},
    ssh::ParsedKey,
};

/// A change to one file of a GitOps repository, as a person asked for it.
#[derive(Debug, Clone, PartialEq)]
pub enum FileEdit {
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
        /// Its last day, when sandboxes have a lifetime.
        expires: Option<jiff::civil::Date>,
    },
    /// Moves a sandbox's last day (its owner extends it).
    ExtendSandbox {
        name: String,
        file: String,
        expires: jiff::civil::Date,
    },
    /// Deletes a sandbox whose last day was before `today`, if the file at
    /// the head still says so: extended meanwhile, or already deleted (by
    /// another Berth), it commits nothing.
    ExpireSandbox {
        name: String,
        file: String,
        expired: jiff::civil::Date,
        today: jiff::civil::Date,
    },
    /// `owner` is the owner the person saw; if the file now names someone
    /// else, the deletion is a conflict. `None` deletes whoever owns it.
    DeleteSandbox {
        name: String,
        file: String,
        owner: Option<String>,
    },
}

/// Why a change cannot be applied to the file at the head.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    /// The edit cannot be made as asked: the file is not valid YAML, a
    /// value spans several lines, the branch name is not one git takes.
    /// Retrying changes nothing; the input or the file must be fixed.
    #[error("{0}")]
    Invalid(String),
    /// The repository changed under the person: the sandbox was deleted,
    /// the name was taken, the owner changed. A reload shows why.
    #[error("{0}")]
    Conflict(String),
}

impl EditError {
    /// The sentence for the person.
    pub fn message(&self) -> &str {
        match self {
            EditError::Invalid(why) | EditError::Conflict(why) => why,
        }
    }
}

/// The result of applying a change to one file.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// New content, or `None` to remove the file.
    Write(Option<String>),
    /// Nothing to commit, with the sentence that says why.
    Unchanged(String),
}

impl FileEdit {
    pub fn file(&self) -> &str {
        match self {
            FileEdit::SetBranches { file, .. }
            | FileEdit::CreateSandbox { file, .. }
            | FileEdit::DeleteSandbox { file, .. }
            | FileEdit::ExtendSandbox { file, .. }
            | FileEdit::ExpireSandbox { file, .. } => file,
        }
    }

    /// The `Berth-Action` trailer, named as the audit log names it.
    pub fn action(&self) -> AuditAction {
        match self {
            FileEdit::SetBranches { changes, .. } => AuditAction::promotion(changes.len()),
            FileEdit::CreateSandbox { .. } => AuditAction::CreateSandbox,
            FileEdit::DeleteSandbox { .. } => AuditAction::DeleteSandbox,
            FileEdit::ExtendSandbox { .. } => AuditAction::ExtendSandbox,
            FileEdit::ExpireSandbox { .. } => AuditAction::ExpireSandbox,
        }
    }

    /// The first line of the commit message.
    pub fn summary(&self) -> String {
        match self {
            FileEdit::SetBranches {
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
            FileEdit::CreateSandbox { name, owner, .. } => {
                format!("Create sandbox {name} for {owner}")
            }
            FileEdit::DeleteSandbox { name, .. } => format!("Delete sandbox {name}"),
            FileEdit::ExtendSandbox { name, expires, .. } => {
                format!("Extend sandbox {name} until {expires}")
            }
            FileEdit::ExpireSandbox { name, expired, .. } => {
                format!("Delete sandbox {name}: it expired on {expired} (sandbox lifetime rule)")
            }
        }
    }

    /// Applies the change to the file as it is at the head (`None`: the
    /// file does not exist).
    pub fn apply(&self, current: Option<&str>) -> Result<Applied, EditError> {
        match self {
            FileEdit::SetBranches {
                environment,
                file,
                changes,
            } => {
                // The person saw the environment; the file went away since.
                let text = current.ok_or_else(|| {
                    EditError::Conflict(format!("{file} does not exist in the GitOps repository, so {environment} cannot be changed"))
                })?;
                // Every refusal of `set_branches` is about the input or the
                // file as it is, never about a race.
                let edited = set_branches(file, text, changes).map_err(EditError::Invalid)?;
                Ok(match edited {
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
            FileEdit::CreateSandbox {
                name,
                file,
                owner,
                keys,
                expires,
            } => match current {
                Some(_) => Err(EditError::Conflict(format!(
                    "the sandbox name `{name}` is already taken"
                ))),
                None => render_sandbox_until(file, name, owner, keys, *expires)
                    .map(|text| Applied::Write(Some(text)))
                    .map_err(EditError::Invalid),
            },
            FileEdit::DeleteSandbox { name, file, owner } => {
                let text = current.ok_or_else(|| {
                    EditError::Conflict(format!("the sandbox `{name}` has already been deleted"))
                })?;
                if let Some(expected) = owner {
                    let (parsed, _) = super::files::parse_sandbox_file(file, name, text);
                    let now = parsed.and_then(|p| p.owner);
                    if now.as_deref() != Some(expected.as_str()) {
                        return Err(EditError::Conflict(format!(
                            "the sandbox `{name}` now belongs to {}; reload and try again",
                            now.unwrap_or_else(|| "nobody".into())
                        )));
                    }
                }
                Ok(Applied::Write(None))
            }
            FileEdit::ExtendSandbox {
                name,
                file,
                expires,
            } => {
                let text = current.ok_or_else(|| {
                    EditError::Conflict(format!("the sandbox `{name}` has been deleted"))
                })?;
                Ok(
                    match set_expires(file, name, text, *expires).map_err(EditError::Invalid)? {
                        Some(text) => Applied::Write(Some(text)),
                        None => Applied::Unchanged(format!(
                            "{name} already lives until {expires}; nothing to commit"
                        )),
                    },
                )
            }
            FileEdit::ExpireSandbox {
                name, file, today, ..
            } => {
                let Some(text) = current else {
                    return Ok(Applied::Unchanged(format!(
                        "the sandbox `{name}` is already deleted"
                    )));
                };
                let (parsed, _) = super::files::parse_sandbox_file(file, name, text);
                match parsed.and_then(|p| p.expires) {
                    Some(day) if day < *today => Ok(Applied::Write(None)),
                    Some(day) => Ok(Applied::Unchanged(format!(
                        "{name} was extended until {day} meanwhile; it stays"
                    ))),
                    None => Ok(Applied::Unchanged(format!(
                        "{name} no longer has an expiry date; it stays"
                    ))),
                }
            }
        }
    }
}

impl FileEdit {
    /// Applies the change to a file at the head that is too large to read
    /// (`size` bytes). Only what needs no reading can be done: a sandbox
    /// name is taken whatever the file says, and a deletion that checks no
    /// owner removes it; every other edit is refused.
    pub fn apply_unread(&self, size: u64) -> Result<Applied, EditError> {
        match self {
            FileEdit::CreateSandbox { name, .. } => Err(EditError::Conflict(format!(
                "the sandbox name `{name}` is already taken"
            ))),
            FileEdit::DeleteSandbox { owner: None, .. } => Ok(Applied::Write(None)),
            _ => Err(EditError::Invalid(format!(
                "{} is {}, more than the {} Berth edits; change it by hand",
                self.file(),
                describe_size(size),
                describe_size(MAX_FILE_BYTES as u64)
            ))),
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
mod tests;
