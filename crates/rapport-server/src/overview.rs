//! `GET /api/intelligence/engagement-overview?period=30d&comparePeriod=previous&asOf=…&csm=…&tier=…`:
//! the portfolio engagement overview of the active accounts, filtered by CSM
//! and tier, with the previous period beside every figure.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use rapport_core::Tier;
use rapport_core::overview::{Overview, OverviewFilter, overview as compute};
use serde::Deserialize;

use crate::{ApiError, AppState, EngagementQuery, engagement_window};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OverviewQuery {
    period: Option<String>,
    compare_period: Option<String>,
    as_of: Option<String>,
    csm: Option<String>,
    tier: Option<String>,
}

pub(crate) async fn overview(
    State(state): State<Arc<AppState>>,
    Query(query): Query<OverviewQuery>,
) -> Result<Json<Overview>, ApiError> {
    let (window, compare) = engagement_window(&EngagementQuery {
        period: query.period,
        compare_period: query.compare_period,
        as_of: query.as_of,
        model: None,
    })?;
    let tier = match query.tier.as_deref().filter(|tier| !tier.is_empty()) {
        Some(text) => Some(text.parse::<Tier>().map_err(|error| ApiError::BadRequest {
            parameter: "tier".into(),
            reason: error.to_string(),
        })?),
        None => None,
    };
    let filter = OverviewFilter {
        csm: query.csm.filter(|csm| !csm.is_empty()),
        tier,
    };
    state
        .with_engine(move |state, engine| {
            Ok(compute(
                engine,
                &state.models.default,
                &state.health_model,
                window,
                compare.window(window),
                &filter,
            ))
        })
        .await
        .map(Json)
}
