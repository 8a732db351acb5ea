use leptos::prelude::*;

use crate::{
    error::BerthError,
    model::{SandboxDetail, SandboxList},
};

#[server(endpoint = "list_sandboxes")]
pub async fn list_sandboxes(query: String) -> Result<SandboxList, BerthError> {
    crate::ports::dashboard()?.sandboxes(&query).await
}

#[server(endpoint = "get_sandbox")]
pub async fn get_sandbox(name: String) -> Result<SandboxDetail, BerthError> {
    crate::ports::dashboard()?.sandbox(&name).await
}
