use leptos::prelude::*;

use crate::{error::BerthError, model::Freshness};

/// Fetches the GitOps repositories now. A POST, so it works as a plain form.
#[server(endpoint = "refresh_now")]
pub async fn refresh_now() -> Result<Freshness, BerthError> {
    crate::ports::dashboard()?.refresh().await
}

/// The page-wide refresh action; resources key on its version so every
/// page reloads its data after a refresh.
#[derive(Clone, Copy)]
pub struct RefreshAction(pub ServerAction<RefreshNow>);

pub fn refresh_action() -> ServerAction<RefreshNow> {
    expect_context::<RefreshAction>().0
}
