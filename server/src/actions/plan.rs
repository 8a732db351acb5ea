//! Checking a request before anything is written: the person's role, the
//! names, keys and branches, and what the read model knows exists.

use app::{error::BerthError, model::Role};

use super::{
    branches::BranchCheck,
    promotion::{check_promotion, find_environment, CheckedPromotion, Requested},
    Actions,
};
use crate::{
    auth::Identity,
    config::EnvironmentConfig,
    gitops::{change::FileEdit, names::check_sandbox_name, sandbox_edit::check_keys},
};

/// A sandbox name is a DNS label: checked before the name rules, whose
/// message quotes the name.
const MAX_SANDBOX_NAME_BYTES: usize = 63;

/// A checked request, ready for the writer.
/// How long an extension lasts when sandboxes have no configured lifetime.
const DEFAULT_EXTENSION_DAYS: u32 = 30;

pub(super) struct Planned {
    pub repository: String,
    pub change: FileEdit,
    pub target: String,
}

impl Actions {
    pub(super) fn environment(&self, name: &str) -> Result<&EnvironmentConfig, BerthError> {
        find_environment(&self.config, name)
    }

    /// A promotion from a script or the confirm button: every rule, then
    /// whether each branch exists upstream.
    pub(super) async fn plan_promotion(
        &self,
        who: &Identity,
        environment: &str,
        changes: &[(String, String)],
    ) -> Result<Planned, BerthError> {
        let checked = check_promotion(&self.config, who, environment, changes, Requested::Exact)?;
        self.planned_promotion(checked).await
    }

    /// Asks each service's source repository whether the branches exist,
    /// then hands the promotion over in the writer's terms.
    pub(super) async fn planned_promotion(
        &self,
        checked: CheckedPromotion,
    ) -> Result<Planned, BerthError> {
        let CheckedPromotion {
            environment,
            file,
            repository,
            changes,
            mut problems,
        } = checked;
        if changes.is_empty() && problems.is_empty() {
            return Err(BerthError::Invalid(
                "choose at least one service and branch".into(),
            ));
        }
        for (service_name, branch) in &changes {
            let Some(service) = self
                .config
                .services
                .iter()
                .find(|s| &s.name == service_name)
            else {
                continue;
            };
            match self.branches.check(service, branch).await {
                Ok(BranchCheck::Missing) => problems.push(format!(
                    "{service_name} has no branch `{branch}`; push it first"
                )),
                Ok(_) => {}
                Err(why) => return Err(BerthError::Unavailable(why)),
            }
        }
        if !problems.is_empty() {
            return Err(BerthError::Invalid(problems.join("; ")));
        }
        Ok(Planned {
            repository,
            target: environment.clone(),
            change: FileEdit::SetBranches {
                environment,
                file,
                changes,
            },
        })
    }

    pub(super) fn sandbox_file(&self, name: &str) -> String {
        format!(
            "{}/{name}.yaml",
            self.config.sandboxes.dir.trim_end_matches('/')
        )
    }

    pub(super) fn sandbox_repository(&self) -> String {
        self.config
            .repository(self.config.sandboxes.repository.as_deref())
            .name
            .clone()
    }

    pub(super) fn plan_create_sandbox(
        &self,
        who: &Identity,
        name: &str,
        keys: &str,
    ) -> Result<Planned, BerthError> {
        // A CI token reports builds; a leaked one must not add SSH keys.
        if who.role == app::model::Role::Ci {
            return Err(BerthError::Forbidden(
                "the ci role reports builds and cannot create sandboxes".into(),
            ));
        }
        let name = name.trim();
        let mut problems = Vec::new();
        if let Err(why) = check_sandbox_name_length(name) {
            problems.push(why);
        } else if let Err(why) = check_sandbox_name(name) {
            problems.push(why);
        } else if self.sandbox_exists(name) {
            problems.push(format!("the sandbox name `{name}` is already taken"));
        }
        // `check_keys` refuses a paste over the configured caps (number of
        // keys, bytes per key) in one sentence, before parsing any key.
        let keys = match check_keys(keys, &self.config.sandboxes.keys) {
            Ok(keys) => keys,
            Err(why) => {
                problems.extend(why);
                Vec::new()
            }
        };
        if !problems.is_empty() {
            return Err(BerthError::Invalid(problems.join("; ")));
        }
        Ok(Planned {
            repository: self.sandbox_repository(),
            target: format!("sandbox/{name}"),
            change: FileEdit::CreateSandbox {
                name: name.to_string(),
                file: self.sandbox_file(name),
                owner: who.user.clone(),
                keys,
                expires: self.config.sandboxes.lifetime_days.map(|days| {
                    let today = self.config.day_at(crate::clock::unix_now());
                    today.saturating_add(jiff::Span::new().days(i64::from(days)))
                }),
            },
        })
    }

    /// A sandbox's owner (or an admin) moves its last day to the lifetime
    /// (30 days without one) from today; a sandbox that never expires is
    /// left so, and a second click changes nothing.
    pub(super) fn plan_extend_sandbox(
        &self,
        who: &Identity,
        name: &str,
    ) -> Result<Planned, BerthError> {
        check_sandbox_name_length(name)
            .and_then(|_| check_sandbox_name(name))
            .map_err(BerthError::Invalid)?;
        let sandbox = self
            .sandbox(name)
            .ok_or_else(|| BerthError::NotFound(format!("there is no sandbox named `{name}`")))?;
        // A CI token reports builds; it changes no file.
        if who.role == app::model::Role::Ci || !who.may_delete_sandbox(sandbox.owner.as_deref()) {
            return Err(BerthError::Forbidden(format!(
                "only its owner or an admin may extend the sandbox `{name}`"
            )));
        }
        let Some(current) = sandbox.expires else {
            return Err(BerthError::Invalid(format!(
                "the sandbox `{name}` does not expire; there is nothing to extend"
            )));
        };
        let today = self.config.day_at(crate::clock::unix_now());
        let days = self
            .config
            .sandboxes
            .lifetime_days
            .unwrap_or(DEFAULT_EXTENSION_DAYS);
        // Never earlier than it is, never further than one lifetime ahead.
        let from = today
            .saturating_add(jiff::Span::new().days(i64::from(days)))
            .max(current);
        Ok(Planned {
            repository: self.sandbox_repository(),
            target: format!("sandbox/{name}"),
            change: FileEdit::ExtendSandbox {
                name: name.to_string(),
                file: self.sandbox_file(name),
                expires: from,
            },
        })
    }

    /// The sandboxes whose last day was before `today`, as Berth read them.
    pub(super) fn expired_sandboxes(
        &self,
        today: jiff::civil::Date,
    ) -> Vec<(String, jiff::civil::Date)> {
        self.read_model
            .snapshot()
            .repos
            .iter()
            .filter_map(|r| r.sandboxes.as_ref())
            .flat_map(|s| s.sandboxes.iter())
            .filter_map(|s| Some((s.file.name.clone(), s.file.expires.filter(|d| *d < today)?)))
            .collect()
    }

    fn sandbox(&self, name: &str) -> Option<crate::gitops::files::SandboxFile> {
        self.read_model
            .snapshot()
            .repos
            .iter()
            .filter_map(|r| r.sandboxes.as_ref())
            .flat_map(|s| s.sandboxes.iter())
            .find(|s| s.file.name == name)
            .map(|s| s.file.clone())
    }

    fn sandbox_exists(&self, name: &str) -> bool {
        self.sandbox_owner(name).is_some()
    }

    /// `Some(owner)` for a listed sandbox (the inner `None`: no owner line).
    fn sandbox_owner(&self, name: &str) -> Option<Option<String>> {
        self.read_model
            .snapshot()
            .repos
            .iter()
            .filter_map(|r| r.sandboxes.as_ref())
            .flat_map(|s| s.sandboxes.iter())
            .find(|s| s.file.name == name)
            .map(|s| s.file.owner.clone())
    }

    pub(super) fn plan_delete_sandbox(
        &self,
        who: &Identity,
        name: &str,
        confirm: Option<&str>,
    ) -> Result<Planned, BerthError> {
        check_sandbox_name_length(name)
            .and_then(|()| check_sandbox_name(name))
            .map_err(BerthError::Invalid)?;
        let owner = self
            .sandbox_owner(name)
            .ok_or_else(|| BerthError::NotFound(format!("there is no sandbox named `{name}`")))?;
        if !who.may_delete_sandbox(owner.as_deref()) {
            return Err(BerthError::Forbidden(format!(
                "only {} or an admin may delete the sandbox `{name}`",
                owner.as_deref().unwrap_or("its owner")
            )));
        }
        if let Some(typed) = confirm {
            if typed.trim() != name {
                return Err(BerthError::Invalid(format!(
                    "type the sandbox name `{name}` to confirm the deletion"
                )));
            }
        }
        Ok(Planned {
            repository: self.sandbox_repository(),
            target: format!("sandbox/{name}"),
            change: FileEdit::DeleteSandbox {
                name: name.to_string(),
                file: self.sandbox_file(name),
                // An admin deletes whoever owns it; an owner only their own.
                owner: (who.role != Role::Admin).then(|| who.user.clone()),
            },
        })
    }
}

/// Before `check_sandbox_name`, whose message quotes the name.
fn check_sandbox_name_length(name: &str) -> Result<(), String> {
    if name.len() > MAX_SANDBOX_NAME_BYTES {
        return Err(format!(
            "a sandbox name has at most {MAX_SANDBOX_NAME_BYTES} characters; this one has {} bytes",
            name.len()
        ));
    }
    Ok(())
}
