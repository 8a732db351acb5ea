//! Checking a request before anything is written: the person's role, the
//! names, keys and branches, and what the read model knows exists.

use app::{error::BerthError, model::Role};

use super::{branches::BranchCheck, Actions};
use crate::{
    auth::Identity,
    config::EnvironmentConfig,
    gitops::{
        change::Change,
        names::{check_branch_name, check_sandbox_name},
        sandbox_edit::check_keys,
    },
};

/// Names arrive from URLs, forms and JSON. Past these lengths they are no
/// names anyone uses, and checking them first keeps a huge value out of
/// error messages and the audit log.
const MAX_NAME_BYTES: usize = 255;
const MAX_SANDBOX_NAME_BYTES: usize = 63;

/// A checked request, ready for the writer.
pub(super) struct Planned {
    pub repository: String,
    pub change: Change,
    pub target: String,
}

impl Actions {
    pub(super) fn environment(&self, name: &str) -> Result<&EnvironmentConfig, BerthError> {
        if name.len() > MAX_NAME_BYTES {
            return Err(BerthError::Invalid(format!(
                "an environment name has at most {MAX_NAME_BYTES} bytes; this one has {}",
                name.len()
            )));
        }
        self.config
            .environments
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| BerthError::NotFound(format!("there is no environment `{name}`")))
    }

    pub(super) async fn plan_promotion(
        &self,
        who: &Identity,
        environment: &str,
        changes: &[(String, String)],
    ) -> Result<Planned, BerthError> {
        let env = self.environment(environment)?;
        let Some(file) = env.file.clone() else {
            return Err(BerthError::Invalid(format!(
                "{} follows each service's default branch; merge to release instead",
                env.title()
            )));
        };
        if !who.may_write(env) {
            return Err(BerthError::Forbidden(format!(
                "as {} ({}), you may not change {}; it is written by: {}",
                who.user,
                who.role.as_str(),
                env.title(),
                env.writers()
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if changes.is_empty() {
            return Err(BerthError::Invalid(
                "choose at least one service and branch".into(),
            ));
        }
        let services = self.config.services.len();
        if changes.len() > services {
            return Err(BerthError::Invalid(format!(
                "a promotion changes at most the {services} services there are, not {}",
                changes.len()
            )));
        }
        let mut problems = Vec::new();
        for (i, (service_name, branch)) in changes.iter().enumerate() {
            if service_name.len() > MAX_NAME_BYTES {
                problems.push(format!("a service name has at most {MAX_NAME_BYTES} bytes"));
                continue;
            }
            if branch.len() > MAX_NAME_BYTES {
                problems.push(format!(
                    "{service_name}: a branch name has at most {MAX_NAME_BYTES} bytes"
                ));
                continue;
            }
            if changes[..i].iter().any(|(s, _)| s == service_name) {
                problems.push(format!("{service_name} is listed twice"));
                continue;
            }
            let Some(service) = self
                .config
                .services
                .iter()
                .find(|s| &s.name == service_name)
            else {
                problems.push(format!("there is no service `{service_name}`"));
                continue;
            };
            if let Err(why) = check_branch_name(branch) {
                problems.push(format!("{service_name}: {why}"));
                continue;
            }
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
            repository: self
                .config
                .repository(env.repository.as_deref())
                .name
                .clone(),
            target: environment.to_string(),
            change: Change::SetBranches {
                environment: environment.to_string(),
                file,
                changes: changes.to_vec(),
            },
        })
    }

    fn sandbox_file(&self, name: &str) -> String {
        format!(
            "{}/{name}.yaml",
            self.config.sandboxes.dir.trim_end_matches('/')
        )
    }

    fn sandbox_repository(&self) -> String {
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
            change: Change::CreateSandbox {
                name: name.to_string(),
                file: self.sandbox_file(name),
                owner: who.user.clone(),
                keys,
            },
        })
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
            .find(|(file, _, _)| file.name == name)
            .map(|(file, _, _)| file.owner.clone())
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
            change: Change::DeleteSandbox {
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
