use leptos::prelude::*;

use crate::{
    error::BerthError,
    model::{AuditEntry, AuditQuery},
};

#[server(endpoint = "get_audit")]
pub async fn get_audit(query: AuditQuery) -> Result<Vec<AuditEntry>, BerthError> {
    let request = crate::ports::request_parts().await?;
    crate::ports::operations()?.audit(&request, query).await
}
