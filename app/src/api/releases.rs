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

/// Rolls a prod service back to a release deployed before, and pauses its
/// automation; back to the prod page.
#[server(endpoint = "roll_back")]
pub async fn roll_back(
    service: String,
    release: i64,
    reason: String,
    #[server(default)] break_glass: Option<String>,
) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let overrides = crate::model::Overrides {
        break_glass: break_glass.filter(|r| !r.trim().is_empty()),
        override_claims: false,
    };
    let id = super::with_status(
        crate::ports::operations()?
            .rollback(&request, &service, release, &reason, overrides)
            .await,
    )?;
    leptos_axum::redirect(&format!("/prod?rolled_back={id}"));
    Ok(())
}

#[server(endpoint = "resume_automation")]
pub async fn resume_automation(service: String) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    super::with_status(
        crate::ports::operations()?
            .resume_automation(&request, &service)
            .await,
    )?;
    leptos_axum::redirect(&format!(
        "/prod?resumed={}",
        crate::links::encode_query(&service)
    ));
    Ok(())
}
