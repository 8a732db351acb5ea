use leptos::prelude::*;

use crate::{error::BerthError, model::Freshness};

/// Fetches the GitOps repositories now. A POST, so it works as a plain form.
/// Only for people signed in: each press costs a fetch of every repository.
/// Presses at the same moment share one fetch, and presses right after one
/// get the current data without fetching again (the server decides).
#[server(endpoint = "refresh_now")]
pub async fn refresh_now() -> Result<Freshness, BerthError> {
    let request = crate::ports::request_parts().await?;
    let viewer = super::with_status(crate::ports::operations()?.viewer(&request).await)?;
    if viewer.user.is_none() {
        return super::with_status(Err(BerthError::Unauthenticated(
            "sign in to refresh; the data refreshes on its own meanwhile".into(),
        )));
    }
    crate::ports::dashboard()?.refresh().await
}
