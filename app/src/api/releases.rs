use leptos::prelude::*;

use crate::{
    error::BerthError,
    model::{ProdPipeline, ReleaseFigures},
};

#[server(endpoint = "get_pipeline")]
pub async fn get_pipeline() -> Result<ProdPipeline, BerthError> {
    crate::ports::release_views()?.pipeline().await
}

#[server(endpoint = "get_release_figures")]
pub async fn get_release_figures(
    days: u32,
    service: Option<String>,
) -> Result<ReleaseFigures, BerthError> {
    crate::ports::release_views()?
        .release_figures(days, service)
        .await
}
