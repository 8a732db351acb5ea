//! What the UI needs from the server, as a trait the server crate
//! implements; server functions get it from context, tests can fake it.

use std::sync::Arc;

use http::request::Parts;

use crate::{error::BerthError, model::*};

#[async_trait::async_trait]
pub trait Dashboard: Send + Sync + 'static {
    async fn overview(&self) -> Result<Overview, BerthError>;
    async fn environment(&self, name: &str) -> Result<EnvironmentDetail, BerthError>;
    async fn sandboxes(&self, query: &str) -> Result<SandboxList, BerthError>;
    async fn sandbox(&self, name: &str) -> Result<SandboxDetail, BerthError>;
    /// Fetches the GitOps repositories now instead of at the next interval.
    async fn refresh(&self) -> Result<Freshness, BerthError>;
    /// Every environment's locks, freezes and broken glass.
    async fn sharing(&self) -> Result<SharingBoard, BerthError>;
}

pub type DashboardHandle = Arc<dyn Dashboard>;

pub fn dashboard() -> Result<DashboardHandle, BerthError> {
    leptos::prelude::use_context::<DashboardHandle>()
        .ok_or_else(|| BerthError::Unavailable("the dashboard is not wired up".into()))
}

/// The write side and identity: every method gets the request, so the
/// server decides who is acting; nothing here trusts the browser.
#[async_trait::async_trait]
pub trait Operations: Send + Sync + 'static {
    async fn viewer(&self, request: &Parts) -> Result<Viewer, BerthError>;
    /// The `Set-Cookie` value for a person signing in as `user`.
    async fn login(&self, user: &str) -> Result<String, BerthError>;
    /// Ends the request's session (or, with `everywhere`, all of its
    /// person's sessions) and returns the `Set-Cookie` value that clears it.
    async fn logout(&self, request: &Parts, everywhere: bool) -> Result<String, BerthError>;
    /// Whether cookies Berth sets must be marked `Secure`.
    fn secure_cookies(&self) -> bool;
    async fn promotion_plan(
        &self,
        request: &Parts,
        environment: &str,
        requested: Vec<(String, String)>,
        refresh_branches: bool,
    ) -> Result<PromotionPlan, BerthError>;
    /// `overrides`: an admin's reason to write through a lock or a
    /// freeze, a confirmation to go over others' claims.
    async fn promote(
        &self,
        request: &Parts,
        environment: &str,
        changes: Vec<(String, String)>,
        overrides: Overrides,
    ) -> Result<CommitResult, BerthError>;
    async fn claim(&self, request: &Parts, form: ClaimForm) -> Result<Claim, BerthError>;
    async fn book(&self, request: &Parts, form: BookingForm) -> Result<Booking, BerthError>;
    async fn cancel_booking(&self, request: &Parts, id: i64) -> Result<Booking, BerthError>;
    /// Rolls a prod service back to release `to`; the new release's id.
    async fn rollback(
        &self,
        request: &Parts,
        service: &str,
        to: i64,
        reason: &str,
        overrides: Overrides,
    ) -> Result<i64, BerthError>;
    /// Resumes prod automation of a service paused by a rollback.
    async fn resume_automation(&self, request: &Parts, service: &str) -> Result<(), BerthError>;
    /// `hours`: how much later it ends (2 by default); None ends it now.
    async fn change_claim(
        &self,
        request: &Parts,
        id: i64,
        extend_hours: Option<u32>,
        end: bool,
    ) -> Result<Claim, BerthError>;
    async fn lock(&self, request: &Parts, form: LockForm) -> Result<Lock, BerthError>;
    async fn lift_lock(&self, request: &Parts, id: i64) -> Result<Lock, BerthError>;
    async fn freeze(&self, request: &Parts, form: FreezeForm) -> Result<Freeze, BerthError>;
    async fn lift_freeze(&self, request: &Parts, id: i64) -> Result<(), BerthError>;
    async fn preview_create_sandbox(
        &self,
        request: &Parts,
        name: &str,
        keys: &str,
    ) -> Result<CommitPreview, BerthError>;
    async fn create_sandbox(
        &self,
        request: &Parts,
        name: &str,
        keys: &str,
    ) -> Result<CommitResult, BerthError>;
    /// Moves a sandbox's last day (its owner or an admin).
    async fn extend_sandbox(&self, request: &Parts, name: &str)
        -> Result<CommitResult, BerthError>;
    async fn preview_delete_sandbox(
        &self,
        request: &Parts,
        name: &str,
    ) -> Result<CommitPreview, BerthError>;
    async fn delete_sandbox(
        &self,
        request: &Parts,
        name: &str,
        confirm: &str,
    ) -> Result<CommitResult, BerthError>;
    async fn audit(
        &self,
        request: &Parts,
        query: AuditQuery,
    ) -> Result<Vec<AuditEntry>, BerthError>;
    async fn tokens(&self, request: &Parts) -> Result<Vec<ApiToken>, BerthError>;
    /// Returns the new token, the only time it is shown. It expires after
    /// `days`.
    async fn create_token(
        &self,
        request: &Parts,
        label: &str,
        days: u32,
    ) -> Result<String, BerthError>;
    async fn revoke_token(&self, request: &Parts, id: i64) -> Result<(), BerthError>;
}

pub type OperationsHandle = Arc<dyn Operations>;

pub fn operations() -> Result<OperationsHandle, BerthError> {
    leptos::prelude::use_context::<OperationsHandle>()
        .ok_or_else(|| BerthError::Unavailable("the write side is not wired up".into()))
}

/// Builds and releases: the prod pipeline and the release figures.
#[async_trait::async_trait]
pub trait ReleaseViews: Send + Sync + 'static {
    async fn pipeline(&self) -> Result<ProdPipeline, BerthError>;
    /// The `days` ending today, for one service or all.
    async fn release_figures(
        &self,
        days: u32,
        service: Option<String>,
    ) -> Result<ReleaseFigures, BerthError>;
}

pub type ReleaseViewsHandle = Arc<dyn ReleaseViews>;

pub fn release_views() -> Result<ReleaseViewsHandle, BerthError> {
    leptos::prelude::use_context::<ReleaseViewsHandle>()
        .ok_or_else(|| BerthError::Unavailable("releases are not wired up".into()))
}

/// The request a server function is answering, for `Operations`.
pub async fn request_parts() -> Result<Parts, BerthError> {
    leptos::prelude::use_context::<Parts>()
        .ok_or_else(|| BerthError::Unavailable("no request in context".into()))
}
