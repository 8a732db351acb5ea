use leptos::prelude::*;

use crate::{error::BerthError, model::PromotionPlan};

/// The promotion form of an environment: every service with its current
/// branch, the branches on offer, and the diff of what was asked for.
/// `requested` is `service=branch` per line.
#[server(endpoint = "get_promotion_plan")]
pub async fn get_promotion_plan(
    environment: String,
    requested: String,
    refresh_branches: bool,
) -> Result<PromotionPlan, BerthError> {
    let request = crate::ports::request_parts().await?;
    crate::ports::operations()?
        .promotion_plan(
            &request,
            &environment,
            parse_pairs(&requested),
            refresh_branches,
        )
        .await
}

/// Commits the promotion and shows the overview with the new grid.
/// `break_glass`: an admin's reason to write through a lock or a freeze;
/// `override_claims` (a checkbox): go over others' claims.
#[server(endpoint = "promote")]
pub async fn promote(
    environment: String,
    changes: String,
    #[server(default)] break_glass: Option<String>,
    #[server(default)] override_claims: Option<String>,
) -> Result<(), BerthError> {
    let request = crate::ports::request_parts().await?;
    let operations = crate::ports::operations()?;
    let overrides = crate::model::Overrides {
        break_glass,
        override_claims: override_claims.is_some(),
    };
    let result = super::with_status(
        operations
            .promote(&request, &environment, parse_pairs(&changes), overrides)
            .await,
    )?;
    let target = match result.commit {
        Some(sha) => format!("/?committed={sha}"),
        None => format!("/?unchanged={}", crate::links::encode_query(&environment)),
    };
    leptos_axum::redirect(&target);
    Ok(())
}

/// `service=branch` lines, as the promotion form sends them.
pub fn parse_pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(s, b)| (s.trim().to_string(), b.trim().to_string()))
        .filter(|(s, b)| !s.is_empty() && !b.is_empty())
        .collect()
}

pub fn format_pairs(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(s, b)| format!("{s}={b}\n")).collect()
}
