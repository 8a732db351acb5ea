use leptos::prelude::*;

use crate::{error::BerthError, model::SharingBoard};

#[server(endpoint = "get_sharing")]
pub async fn get_sharing() -> Result<SharingBoard, BerthError> {
    crate::ports::dashboard()?.sharing().await
}

/// Locks an environment, or one service in it; back to the locks page.
#[server(endpoint = "lock_environment")]
pub async fn lock_environment(
    environment: String,
    #[server(default)] service: Option<String>,
    reason: String,
    #[server(default)] hours: Option<u32>,
) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let form = crate::model::LockForm {
        environment,
        service: service.filter(|s| !s.trim().is_empty()),
        reason,
        hours,
    };
    let lock = super::with_status(crate::ports::operations()?.lock(&request, form).await)?;
    leptos_axum::redirect(&format!("/locks?locked={}", lock.id));
    Ok(())
}

#[server(endpoint = "lift_lock")]
pub async fn lift_lock(id: i64) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    super::with_status(crate::ports::operations()?.lift_lock(&request, id).await)?;
    leptos_axum::redirect(&format!("/locks?lifted={id}"));
    Ok(())
}

/// Sets a freeze window: `weekly` is a checkbox, so it is absent when off.
#[server(endpoint = "add_freeze")]
pub async fn add_freeze(
    #[server(default)] environment: Option<String>,
    #[server(default)] weekly: Option<String>,
    starts: String,
    ends: String,
    #[server(default)] time_zone: Option<String>,
    reason: String,
) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let form = crate::model::FreezeForm {
        environment: environment.filter(|e| !e.trim().is_empty()),
        weekly: weekly.is_some(),
        starts,
        ends,
        time_zone: time_zone.filter(|z| !z.trim().is_empty()),
        reason,
    };
    let freeze = super::with_status(crate::ports::operations()?.freeze(&request, form).await)?;
    leptos_axum::redirect(&format!("/locks?frozen={}", freeze.id));
    Ok(())
}

#[server(endpoint = "lift_freeze")]
pub async fn lift_freeze(id: i64) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    super::with_status(crate::ports::operations()?.lift_freeze(&request, id).await)?;
    leptos_axum::redirect(&format!("/locks?unfrozen={id}"));
    Ok(())
}

/// Claims a Dev environment (all of it when `services` is empty; names
/// separated by commas or spaces) for a purpose.
#[server(endpoint = "claim_environment")]
pub async fn claim_environment(
    environment: String,
    #[server(default)] services: Option<String>,
    purpose: String,
    #[server(default)] hours: Option<u32>,
) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let services = services
        .unwrap_or_default()
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .take(1000)
        .map(str::to_string)
        .collect();
    let form = crate::model::ClaimForm {
        environment,
        services,
        purpose,
        hours,
    };
    let claim = super::with_status(crate::ports::operations()?.claim(&request, form).await)?;
    leptos_axum::redirect(&format!("/locks?claimed={}", claim.id));
    Ok(())
}

/// Extends a claim by two hours, or (`end`) ends it.
#[server(endpoint = "change_claim")]
pub async fn change_claim(
    id: i64,
    #[server(default)] end: Option<String>,
) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let end = end.is_some();
    super::with_status(
        crate::ports::operations()?
            .change_claim(&request, id, None, end)
            .await,
    )?;
    let what = if end { "ended" } else { "extended" };
    leptos_axum::redirect(&format!("/locks?{what}={id}"));
    Ok(())
}

/// Books a Stg environment for a project; `pairs` is `service=branch`
/// per line, as the promotion form writes them.
#[server(endpoint = "book_environment")]
pub async fn book_environment(
    environment: String,
    project: String,
    pairs: String,
    first_day: String,
    last_day: String,
) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let form = crate::model::BookingForm {
        environment,
        project,
        pairs: super::parse_pairs(&pairs).into_iter().take(1000).collect(),
        first_day,
        last_day,
    };
    let booking = super::with_status(crate::ports::operations()?.book(&request, form).await)?;
    leptos_axum::redirect(&format!("/bookings?booked={}", booking.id));
    Ok(())
}

#[server(endpoint = "cancel_booking")]
pub async fn cancel_booking(id: i64) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    super::with_status(
        crate::ports::operations()?
            .cancel_booking(&request, id)
            .await,
    )?;
    leptos_axum::redirect(&format!("/bookings?cancelled={id}"));
    Ok(())
}
