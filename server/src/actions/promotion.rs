//! The promotion rules that need no I/O: who may change an environment,
//! which requested rows are changes, and whether each names a known service
//! and a well-formed branch. Whether the branch exists upstream is asked
//! afterwards, by `Actions::plan_promotion`.

use std::collections::HashMap;

use app::error::BerthError;

use crate::{auth::Identity, config::Config, gitops::names::check_branch_name};

/// Names arrive from URLs, forms and JSON. Past this length they are no
/// names anyone uses, and checking it first keeps a huge value out of
/// error messages and the audit log.
pub const MAX_NAME_BYTES: usize = 255;

/// How the requested rows are read.
pub enum Requested<'a> {
    /// From the promotion form, against what the environment runs now
    /// (service → branch): a row left empty or equal to it is no change.
    Form(&'a HashMap<String, String>),
    /// From the confirm button or a script: every row is a change, and
    /// the writer says "nothing to commit" if the head already has it.
    Exact,
}

/// A promotion that passed every rule that needs no I/O.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedPromotion {
    pub environment: String,
    pub file: String,
    pub repository: String,
    /// `(service, branch)` to commit, in the order asked.
    pub changes: Vec<(String, String)>,
    /// One sentence per row that cannot be promoted.
    pub problems: Vec<String>,
}

/// Checks a promotion of `environment` by `who`. Refusals of the request
/// as a whole (no such environment, prod, role) are errors; problems with
/// single rows are listed so the form can show them all at once.
pub fn check_promotion(
    config: &Config,
    who: &Identity,
    environment: &str,
    requested: &[(String, String)],
    mode: Requested<'_>,
) -> Result<CheckedPromotion, BerthError> {
    let env = find_environment(config, environment)?;
    let Some(file) = env.file.clone() else {
        return Err(BerthError::Invalid(format!(
            "{} follows each service's default branch; merge to release instead",
            env.title()
        )));
    };
    if !who.may_write(env) {
        let writers: Vec<&str> = env.writers().iter().map(|r| r.as_str()).collect();
        return Err(BerthError::Forbidden(format!(
            "as {} ({}), you may not change {}; it is written by: {}",
            who.user,
            who.role.as_str(),
            env.title(),
            writers.join(", ")
        )));
    }
    let services = config.services.len();
    if requested.len() > services {
        return Err(BerthError::Invalid(format!(
            "a promotion changes at most the {services} services there are, not {}",
            requested.len()
        )));
    }
    let mut checked = CheckedPromotion {
        environment: env.name.clone(),
        file,
        repository: config.repository(env.repository.as_deref()).name.clone(),
        changes: Vec::new(),
        problems: Vec::new(),
    };
    for (i, (service, branch)) in requested.iter().enumerate() {
        let branch = match mode {
            Requested::Form(_) => branch.trim(),
            Requested::Exact => branch.as_str(),
        };
        if let Err(why) = check_row(config, service, branch, &requested[..i]) {
            checked.problems.push(why);
            continue;
        }
        if let Requested::Form(current) = mode {
            if branch.is_empty() || current.get(service).map(String::as_str) == Some(branch) {
                continue;
            }
        }
        if let Err(why) = check_branch_name(branch) {
            checked.problems.push(format!("{service}: {why}"));
            continue;
        }
        checked.changes.push((service.clone(), branch.to_string()));
    }
    Ok(checked)
}

fn check_row(
    config: &Config,
    service: &str,
    branch: &str,
    earlier: &[(String, String)],
) -> Result<(), String> {
    if service.len() > MAX_NAME_BYTES {
        return Err(format!("a service name has at most {MAX_NAME_BYTES} bytes"));
    }
    if branch.len() > MAX_NAME_BYTES {
        return Err(format!(
            "{service}: a branch name has at most {MAX_NAME_BYTES} bytes"
        ));
    }
    if earlier.iter().any(|(s, _)| s == service) {
        return Err(format!("{service} is listed twice"));
    }
    if !config.services.iter().any(|s| s.name == service) {
        return Err(format!("there is no service `{service}`"));
    }
    Ok(())
}

/// The configured environment `name`, checking its length first so a huge
/// name never reaches a message.
pub fn find_environment<'a>(
    config: &'a Config,
    name: &str,
) -> Result<&'a crate::config::EnvironmentConfig, BerthError> {
    if name.len() > MAX_NAME_BYTES {
        return Err(BerthError::Invalid(format!(
            "an environment name has at most {MAX_NAME_BYTES} bytes; this one has {}",
            name.len()
        )));
    }
    config
        .environments
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| BerthError::NotFound(format!("there is no environment `{name}`")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Via;
    use app::model::Role;

    fn config() -> Config {
        Config::from_toml(
            "[[repositories]]\nname = \"gitops\"\nurl = \"/x.git\"\n\
             [[services]]\nname = \"app-a\"\n[[services]]\nname = \"app-b\"\n\
             [[services]]\nname = \"app-c\"\n[[services]]\nname = \"app-d\"\n",
        )
        .unwrap()
    }

    fn person(role: Role) -> Identity {
        Identity {
            user: "ann".into(),
            email: "ann@x".into(),
            groups: Vec::new(),
            role,
            via: Via::Session,
            remote: None,
        }
    }

    fn rows(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(s, b)| (s.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn roles_and_prod_are_refused_before_any_row() {
        let config = config();
        let ask = rows(&[("app-a", "x")]);
        let err = check_promotion(
            &config,
            &person(Role::Developer),
            "stg-1",
            &ask,
            Requested::Exact,
        )
        .unwrap_err();
        assert_eq!(err.status(), 403);
        assert!(err.to_string().contains("written by: qa, admin"), "{err}");
        let err = check_promotion(
            &config,
            &person(Role::Admin),
            "prod",
            &ask,
            Requested::Exact,
        )
        .unwrap_err();
        assert!(err.to_string().contains("merge to release"), "{err}");
        let err = check_promotion(&config, &person(Role::Admin), "qa", &ask, Requested::Exact)
            .unwrap_err();
        assert_eq!(err.status(), 404);
        let err = check_promotion(
            &config,
            &person(Role::Admin),
            &"e".repeat(300),
            &ask,
            Requested::Exact,
        )
        .unwrap_err();
        assert!(!err.to_string().contains("eeee"), "the name is not echoed");
    }

    #[test]
    fn every_bad_row_is_listed_and_good_rows_kept() {
        let ask = rows(&[
            ("app-a", "feature-x"),
            ("nope", "main"),
            ("app-a", "y"),
            ("app-b", "bad..name"),
        ]);
        let checked = check_promotion(
            &config(),
            &person(Role::Qa),
            "stg-1",
            &ask,
            Requested::Exact,
        )
        .unwrap();
        assert_eq!(checked.changes, rows(&[("app-a", "feature-x")]));
        assert_eq!(checked.problems.len(), 3, "{:?}", checked.problems);
        assert_eq!(checked.problems[0], "there is no service `nope`");
        assert_eq!(checked.problems[1], "app-a is listed twice");
        assert!(checked.problems[2].starts_with("app-b: `bad..name`"));
        assert_eq!(checked.file, "environments/stg-1.yaml");
        assert_eq!(checked.repository, "gitops");
    }

    #[test]
    fn the_form_only_changes_what_differs_from_what_runs() {
        let current = HashMap::from([("app-a".to_string(), "main".to_string())]);
        let ask = rows(&[("app-a", " main "), ("app-b", "")]);
        let form = check_promotion(
            &config(),
            &person(Role::Developer),
            "dev",
            &ask,
            Requested::Form(&current),
        )
        .unwrap();
        assert_eq!(form.changes, Vec::new());
        assert_eq!(form.problems, Vec::<String>::new());
        let ask = rows(&[("app-a", " feature-x "), ("app-b", "main")]);
        let form = check_promotion(
            &config(),
            &person(Role::Developer),
            "dev",
            &ask,
            Requested::Form(&current),
        )
        .unwrap();
        assert_eq!(
            form.changes,
            rows(&[("app-a", "feature-x"), ("app-b", "main")])
        );
        // A script asking for what runs still reaches the writer, which
        // answers "nothing to commit" from the fresh head.
        let exact = check_promotion(
            &config(),
            &person(Role::Developer),
            "dev",
            &rows(&[("app-a", "main")]),
            Requested::Exact,
        )
        .unwrap();
        assert_eq!(exact.changes, rows(&[("app-a", "main")]));
    }

    #[test]
    fn more_rows_than_services_is_refused_as_a_whole() {
        let ask = rows(&[("a", "x"), ("b", "x"), ("c", "x"), ("d", "x"), ("e", "x")]);
        let err = check_promotion(
            &config(),
            &person(Role::Admin),
            "dev",
            &ask,
            Requested::Exact,
        )
        .unwrap_err();
        assert!(err.to_string().contains("at most the 4 services"), "{err}");
    }
}
