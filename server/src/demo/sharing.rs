//! The demo's environments are shared like a real team's: on a start with
//! nothing claimed, booked or frozen, a developer claims part of Dev, QA
//! has Stg-1 booked for a project, and a one-off prod freeze is planned
//! for next week. Made through the same calls the pages use, as the demo
//! people, so they are audited like anything else.

use app::model::{BookingForm, ClaimForm, FreezeForm, Role};

use crate::{
    auth::{Identity, Via},
    clock::unix_now,
    state::AppState,
};

fn person(user: &str, role: Role) -> Identity {
    Identity {
        user: user.into(),
        email: format!("{user}@demo.example"),
        groups: Vec::new(),
        role,
        via: Via::Session,
        remote: None,
    }
}

pub async fn seed(state: &AppState) {
    let sharing = &state.actions.sharing;
    let Ok(board) = sharing.board(unix_now()).await else {
        return;
    };
    let quiet = board.freezes.is_empty()
        && board.bookings.is_empty()
        && board
            .environments
            .iter()
            .all(|e| e.claims.is_empty() && e.locks.is_empty());
    if !quiet {
        return;
    }
    let services: Vec<&str> = state
        .config
        .services
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let dev = board.claimable.first().cloned();
    let stg = board.bookable.first().cloned();
    if let (Some(dev), Some(service)) = (dev, services.get(3)) {
        let claim = ClaimForm {
            environment: dev,
            services: vec![service.to_string()],
            purpose: "trying face grouping on real albums".into(),
            hours: Some(2),
        };
        if let Err(err) = sharing
            .claim(&person("aiko", Role::Developer), &claim)
            .await
        {
            tracing::warn!(%err, "the demo's claim was refused");
        }
    }
    if let (Some(stg), [first, second, ..]) = (stg, services.as_slice()) {
        let today = state.config.day_at(unix_now());
        let booking = BookingForm {
            environment: stg,
            project: "photo-books".into(),
            pairs: vec![
                (first.to_string(), "feature-album-share".into()),
                (second.to_string(), "feature-album-share".into()),
            ],
            first_day: today.to_string(),
            last_day: today.saturating_add(jiff::Span::new().days(2)).to_string(),
        };
        if let Err(err) = sharing.book(&person("qa", Role::Qa), &booking).await {
            tracing::warn!(%err, "the demo's booking was refused");
        }
    }
    if let Some(prod) = state.config.prod_environment() {
        let at = |days: i64| {
            let day = state.config.day_at(unix_now() + days * 86_400);
            format!("{day} 18:00")
        };
        let freeze = FreezeForm {
            environment: Some(prod.name.clone()),
            weekly: false,
            starts: at(5),
            ends: at(6),
            time_zone: None,
            reason: "database migration window".into(),
        };
        if let Err(err) = sharing.freeze(&person("admin", Role::Admin), &freeze).await {
            tracing::warn!(%err, "the demo's freeze was refused");
        }
    }
}
