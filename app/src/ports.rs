//! What the UI needs from the server, as a trait the server crate
//! implements; server functions get it from context, tests can fake it.

use std::sync::Arc;

use crate::{error::BerthError, model::*};

#[async_trait::async_trait]
pub trait Dashboard: Send + Sync + 'static {
    async fn overview(&self) -> Result<Overview, BerthError>;
    async fn environment(&self, name: &str) -> Result<EnvironmentDetail, BerthError>;
    async fn sandboxes(&self, query: &str) -> Result<SandboxList, BerthError>;
    async fn sandbox(&self, name: &str) -> Result<SandboxDetail, BerthError>;
    /// Fetches the GitOps repositories now instead of at the next interval.
    async fn refresh(&self) -> Result<Freshness, BerthError>;
}

pub type DashboardHandle = Arc<dyn Dashboard>;

pub fn dashboard() -> Result<DashboardHandle, BerthError> {
    leptos::prelude::use_context::<DashboardHandle>()
        .ok_or_else(|| BerthError::Unavailable("the dashboard is not wired up".into()))
}
