//! Which branches have a green build, for the services whose builds Berth
//! hears of: a Dev or Stg cell whose file names a branch without one says
//! it is waiting for that build. Services no CI reports to Berth are never
//! said to wait.

use std::{
    collections::{HashMap, HashSet},
    sync::RwLock,
};

#[derive(Default)]
pub struct BuiltBranches(RwLock<HashMap<String, HashSet<String>>>);

impl BuiltBranches {
    /// Records a green build of `branch`; true when it is the first.
    pub fn record(&self, service: &str, branch: &str) -> bool {
        let mut built = self.0.write().unwrap_or_else(|e| e.into_inner());
        built
            .entry(service.to_string())
            .or_default()
            .insert(branch.to_string())
    }

    /// Whether `service` has green builds, but none of `branch`.
    pub fn waiting(&self, service: &str, branch: &str) -> bool {
        let built = self.0.read().unwrap_or_else(|e| e.into_inner());
        built.get(service).is_some_and(|b| !b.contains(branch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_service_with_builds_waits_for_a_branch() {
        let built = BuiltBranches::default();
        assert!(!built.waiting("app-a", "feature-x"));
        assert!(built.record("app-a", "main"));
        assert!(!built.record("app-a", "main"));
        assert!(built.waiting("app-a", "feature-x"));
        assert!(!built.waiting("app-a", "main"));
        assert!(!built.waiting("app-b", "feature-x"));
    }
}
