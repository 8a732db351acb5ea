use leptos::prelude::*;

use crate::{
    error::BerthError,
    model::{AuditLogPage, AuditQuery},
};

/// One page of the audit log, newest first, with the cursor of the next.
#[server(endpoint = "get_audit")]
pub async fn get_audit(query: AuditQuery) -> Result<AuditLogPage, BerthError> {
    let request = crate::ports::request_parts().await?;
    let rows = crate::ports::operations()?
        .audit(&request, query.clone())
        .await?;
    Ok(AuditLogPage::new(rows, &query))
}
