//! The state every handler shares, built once at start-up.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::{
    actions::Actions, auth::Gatekeeper, cluster::Live, config::Config, readmodel::ReadModel,
    release::Releases, store::Store,
};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub read_model: Arc<ReadModel>,
    pub store: Arc<dyn Store>,
    pub gatekeeper: Arc<Gatekeeper>,
    pub actions: Arc<Actions>,
    /// What the clusters run; empty without `[[clusters]]`.
    pub live: Arc<Live>,
    /// Builds in, releases out.
    pub releases: Arc<Releases>,
}
