use leptos::prelude::*;

use crate::{error::BerthError, model::Overview};

#[server(endpoint = "get_overview")]
pub async fn get_overview() -> Result<Overview, BerthError> {
    crate::ports::dashboard()?.overview().await
}
