//! `GET /api/intelligence/health/{customerId}?asOf=…`: the customer health
//! report (score, components, trend, history, alerts, early-warning signals,
//! playbooks, cadence) with the manual override beside the computed score.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use rapport_core::health::{HealthView, health_view};
use serde::Deserialize;

use crate::{ApiError, AppState};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HealthQuery {
    as_of: Option<String>,
}

pub(crate) async fn health(
    State(state): State<Arc<AppState>>,
    Path(customer_id): Path<String>,
    Query(query): Query<HealthQuery>,
) -> Result<Json<HealthView>, ApiError> {
    let as_of = crate::as_of(query.as_of.as_deref())?;
    let events = state.override_events_of(&customer_id).await?;
    state
        .with_engine(move |state, engine| {
            let account = engine
                .resolve(&customer_id)
                .ok_or_else(|| ApiError::NotFound(format!("no account with id `{customer_id}`")))?;
            health_view(&state.health_model, engine, account, &events, as_of)
                .ok_or_else(|| ApiError::NotFound(format!("no account with id `{customer_id}`")))
        })
        .await
        .map(Json)
}
