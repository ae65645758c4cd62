//! `GET /api/intelligence/engagement-overview?period=30d&comparePeriod=previous&asOf=…&csm=…&tier=…`:
//! the portfolio engagement overview of the active accounts, filtered by CSM
//! and tier, with the previous period beside every figure; and the weekly
//! portfolio report (`GET /api/reports/weekly`).

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

/// The CSM and tier filter of a query; 400 naming `tier` for an unknown tier.
fn filter_of(csm: Option<String>, tier: Option<&str>) -> Result<OverviewFilter, ApiError> {
    let tier = match tier.filter(|tier| !tier.is_empty()) {
        Some(text) => Some(text.parse::<Tier>().map_err(|error| ApiError::BadRequest {
            parameter: "tier".into(),
            reason: error.to_string(),
        })?),
        None => None,
    };
    Ok(OverviewFilter {
        csm: csm.filter(|csm| !csm.is_empty()),
        tier,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WeeklyQuery {
    format: Option<String>,
    as_of: Option<String>,
    csm: Option<String>,
    tier: Option<String>,
}

/// `GET /api/reports/weekly?format=html|md|json&asOf=…&csm=…&tier=…`: the
/// weekly portfolio report for the week ending at `asOf` (default now).
pub(crate) async fn weekly(
    State(state): State<Arc<AppState>>,
    Query(query): Query<WeeklyQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let format = match query.format.as_deref() {
        None | Some("") | Some("html") => Some(crate::render::DocumentFormat::Html),
        Some("json") => None,
        Some(text) => Some(crate::render::DocumentFormat::parse(text).ok_or_else(|| {
            ApiError::BadRequest {
                parameter: "format".into(),
                reason: format!("`{text}` is not html, md or json"),
            }
        })?),
    };
    let (window, _) = engagement_window(&EngagementQuery {
        period: None,
        compare_period: None,
        as_of: query.as_of,
        model: None,
    })?;
    let filter = filter_of(query.csm, query.tier.as_deref())?;
    let alerts = state
        .with_store(|store| Ok(store.alerts(None, true)?))
        .await?;
    let report = state
        .with_engine(move |state, engine| {
            Ok(rapport_core::weekly::weekly_report(
                engine,
                &state.health_model,
                &filter,
                &alerts,
                window.as_of,
            ))
        })
        .await?;
    Ok(match format {
        None => Json(report).into_response(),
        Some(format) => (
            [(axum::http::header::CONTENT_TYPE, format.content_type())],
            crate::render::weekly_report(&report, format).map_err(ApiError::internal)?,
        )
            .into_response(),
    })
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
    let filter = filter_of(query.csm, query.tier.as_deref())?;
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
