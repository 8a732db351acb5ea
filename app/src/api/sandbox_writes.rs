use leptos::prelude::*;

use crate::{error::BerthError, model::CommitPreview};

#[server(endpoint = "preview_new_sandbox")]
pub async fn preview_new_sandbox(name: String, keys: String) -> Result<CommitPreview, BerthError> {
    let request = crate::ports::request_parts().await?;
    crate::ports::operations()?
        .preview_create_sandbox(&request, &name, &keys)
        .await
}

/// Commits the new sandbox file and shows the sandbox.
#[server(endpoint = "create_sandbox")]
pub async fn create_sandbox(name: String, keys: String) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let operations = crate::ports::operations()?;
    let result = super::with_status(operations.create_sandbox(&request, &name, &keys).await)?;
    let sha = result.commit.unwrap_or_default();
    leptos_axum::redirect(&format!("/sandboxes/{}?created={sha}", name.trim()));
    Ok(())
}

#[server(endpoint = "preview_delete_sandbox")]
pub async fn preview_delete_sandbox(name: String) -> Result<CommitPreview, BerthError> {
    let request = crate::ports::request_parts().await?;
    crate::ports::operations()?
        .preview_delete_sandbox(&request, &name)
        .await
}

#[server(endpoint = "delete_sandbox")]
pub async fn delete_sandbox(name: String, confirm: String) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let operations = crate::ports::operations()?;
    super::with_status(operations.delete_sandbox(&request, &name, &confirm).await)?;
    leptos_axum::redirect(&format!("/sandboxes?deleted={name}"));
    Ok(())
}

/// Moves the sandbox's last day, and shows the sandbox.
#[server(endpoint = "extend_sandbox")]
pub async fn extend_sandbox(name: String) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let operations = crate::ports::operations()?;
    let result = super::with_status(operations.extend_sandbox(&request, &name).await)?;
    let sha = result.commit.unwrap_or_default();
    leptos_axum::redirect(&format!(
        "/sandboxes/{}?extended={sha}",
        crate::links::encode_query(name.trim())
    ));
    Ok(())
}
