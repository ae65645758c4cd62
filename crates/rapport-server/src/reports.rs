//! The report routes: one account's engagement breakdown, health and success
//! metrics, the value report, the portfolio overview and the weekly report.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rapport_app::render::{self, DocumentFormat};
use rapport_app::reports::{
    EngagementRequest, ValueReportOptions, engagement_window, portfolio_filter,
};
use rapport_core::access::Person;
use rapport_core::health::HealthView;
use rapport_core::portfolio::overview::Overview;
use serde::Deserialize;

use crate::{ApiError, AppState, Json, as_of, blocking};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EngagementQuery {
    period: Option<String>,
    compare_period: Option<String>,
    as_of: Option<String>,
    /// A model by name; default: the account's tier's model, else the default.
    model: Option<String>,
    /// `json` (the default) or `md`.
    format: Option<String>,
}

/// `json` (the default: `false`) or `md` (`true`): a report's JSON body, or the
/// Markdown the CLI prints, from the same template over the same structure.
fn markdown_wanted(format: Option<&str>) -> Result<bool, ApiError> {
    match format.map(str::trim) {
        None | Some("") | Some("json") => Ok(false),
        Some("md" | "markdown") => Ok(true),
        Some(other) => Err(ApiError::BadRequest {
            parameter: "format".into(),
            reason: format!("`{other}` is neither json nor md"),
        }),
    }
}

/// A report as Markdown, or its JSON body.
fn json_or_markdown<T: serde::Serialize>(
    value: T,
    markdown: bool,
    render: impl FnOnce(&T) -> Result<String, String>,
) -> Result<Response, ApiError> {
    Ok(if markdown {
        document(
            DocumentFormat::Markdown,
            render(&value).map_err(ApiError::internal)?,
        )
    } else {
        Json(value).into_response()
    })
}

/// `GET /api/intelligence/engagement/{customerId}?period&comparePeriod&asOf&model`:
/// the breakdown's JSON body is rendered once per computed breakdown and
/// shared by every request that reads the same one.
pub(crate) async fn engagement(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
    Query(query): Query<EngagementQuery>,
) -> Result<Response, ApiError> {
    let (window, compare) = engagement_window(
        query.period.as_deref(),
        query.compare_period.as_deref(),
        as_of(query.as_of.as_deref())?,
    )?;
    let markdown = markdown_wanted(query.format.as_deref())?;
    let request = EngagementRequest {
        window,
        compare,
        model: query.model,
    };
    if markdown {
        let breakdown = blocking(&state, move |app| {
            Ok(app.engagement(&customer_id, &request)?)
        })
        .await?;
        let text = render::engagement(&breakdown).map_err(ApiError::internal)?;
        return Ok(document(DocumentFormat::Markdown, text));
    }
    let body = blocking(&state, move |app| {
        Ok(app.engagement(&customer_id, &request)?.json()?)
    })
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AsOfQuery {
    as_of: Option<String>,
    /// `json` (the default) or `md`.
    format: Option<String>,
}

/// `GET /api/intelligence/health/{customerId}?asOf&format=json|md`
pub(crate) async fn health(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
    Query(query): Query<AsOfQuery>,
) -> Result<Response, ApiError> {
    let markdown = markdown_wanted(query.format.as_deref())?;
    let as_of = as_of(query.as_of.as_deref())?;
    let view: HealthView =
        blocking(&state, move |app| Ok(app.health(&customer_id, as_of)?)).await?;
    json_or_markdown(view, markdown, render::health)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SuccessQuery {
    period: Option<String>,
    include_benchmarks: Option<String>,
    include_targets: Option<String>,
    as_of: Option<String>,
    /// `json` (the default) or `md`.
    format: Option<String>,
}

fn flag(name: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("") | Some("true") | Some("1") => Ok(true),
        Some("false") | Some("0") => Ok(false),
        Some(other) => Err(ApiError::BadRequest {
            parameter: name.into(),
            reason: format!("`{other}` is neither true nor false"),
        }),
    }
}

/// `GET /api/intelligence/success-metrics/{customerId}?period=all&includeBenchmarks&includeTargets&asOf&format=json|md`
pub(crate) async fn success(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
    Query(query): Query<SuccessQuery>,
) -> Result<Response, ApiError> {
    let markdown = markdown_wanted(query.format.as_deref())?;
    match query.period.as_deref() {
        None | Some("") | Some("all") => {}
        Some(other) => {
            return Err(ApiError::BadRequest {
                parameter: "period".into(),
                reason: format!("`{other}`: only `all` (contract start to asOf) is supported"),
            });
        }
    }
    let benchmarks = flag("includeBenchmarks", query.include_benchmarks.as_deref())?;
    let targets = flag("includeTargets", query.include_targets.as_deref())?;
    let as_of = as_of(query.as_of.as_deref())?;
    let body = blocking(&state, move |app| {
        Ok(app
            .success(&customer_id, as_of, benchmarks, targets)?
            .to_json())
    })
    .await?;
    json_or_markdown(body, markdown, render::success)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DocumentQuery {
    format: Option<String>,
    as_of: Option<String>,
    csm: Option<String>,
    tier: Option<String>,
}

/// `html` (the default), `md`, or `json` when `json` is allowed.
fn document_format(text: Option<&str>, json: bool) -> Result<Option<DocumentFormat>, ApiError> {
    match text.map(str::trim) {
        None | Some("") => Ok(Some(DocumentFormat::Html)),
        Some("json") if json => Ok(None),
        Some(text) => DocumentFormat::parse(text)
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest {
                parameter: "format".into(),
                reason: if json {
                    format!("`{text}` is not html, md or json")
                } else {
                    format!("`{text}` is neither html nor md")
                },
            }),
    }
}

fn document(format: DocumentFormat, text: String) -> Response {
    ([(header::CONTENT_TYPE, format.content_type())], text).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ValueReportQuery {
    format: Option<String>,
    as_of: Option<String>,
    roi: Option<String>,
    goals: Option<String>,
}

/// `GET …/value-report?format=html|md&asOf&roi=auto|show|hide&goals=all|started`:
/// the customer-facing value report, showing what the CSM chose.
pub(crate) async fn value_report(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
    Query(query): Query<ValueReportQuery>,
) -> Result<Response, ApiError> {
    let format = document_format(query.format.as_deref(), false)?.unwrap_or(DocumentFormat::Html);
    let as_of = as_of(query.as_of.as_deref())?;
    let options = ValueReportOptions::parse(query.roi.as_deref(), query.goals.as_deref())?;
    let report = blocking(&state, move |app| {
        Ok(app.value_report(&customer_id, as_of, &options)?)
    })
    .await?;
    let text = render::value_report(&report, format).map_err(ApiError::internal)?;
    Ok(document(format, text))
}

/// `GET /api/reports/weekly?format=html|md|json&asOf&csm&tier`
pub(crate) async fn weekly(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Query(query): Query<DocumentQuery>,
) -> Result<Response, ApiError> {
    let format = document_format(query.format.as_deref(), true)?;
    let as_of = as_of(query.as_of.as_deref())?;
    let filter = portfolio_filter(&person, query.csm.as_deref(), query.tier.as_deref())?;
    let report = blocking(&state, move |app| Ok(app.weekly(as_of, &filter)?)).await?;
    Ok(match format {
        None => Json(report).into_response(),
        Some(format) => document(
            format,
            render::weekly_report(&report, format).map_err(ApiError::internal)?,
        ),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OverviewQuery {
    period: Option<String>,
    compare_period: Option<String>,
    as_of: Option<String>,
    csm: Option<String>,
    tier: Option<String>,
    /// `json` (the default) or `md`.
    format: Option<String>,
}

/// `GET /api/intelligence/engagement-overview?period&comparePeriod&asOf&csm&tier&format=json|md`
pub(crate) async fn overview(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Query(query): Query<OverviewQuery>,
) -> Result<Response, ApiError> {
    let markdown = markdown_wanted(query.format.as_deref())?;
    let (window, compare) = engagement_window(
        query.period.as_deref(),
        query.compare_period.as_deref(),
        as_of(query.as_of.as_deref())?,
    )?;
    let filter = portfolio_filter(&person, query.csm.as_deref(), query.tier.as_deref())?;
    let view: Overview = blocking(&state, move |app| {
        Ok(app.overview(window, compare, &filter)?)
    })
    .await?;
    json_or_markdown(view, markdown, render::overview)
}
