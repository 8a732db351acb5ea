use leptos::prelude::*;

use crate::{error::BerthError, model::EnvironmentDetail};

#[server(endpoint = "get_environment")]
pub async fn get_environment(name: String) -> Result<EnvironmentDetail, BerthError> {
    crate::ports::dashboard()?.environment(&name).await
}
