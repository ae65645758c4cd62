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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EngagementQuery {
    /// The window: days, weeks or months (`30d`, `4w`, `6m`); default `30d`.
    period: Option<String>,
    /// The window compared with; default: the one before `period`.
    compare_period: Option<String>,
    /// The instant reported on: RFC 3339 or `YYYY-MM-DD`; default: now.
    as_of: Option<String>,
    /// A model by name; default: the account's tier's model, else the default.
    model: Option<String>,
    /// `json` (the default), `md` or `csv`.
    #[param(value_type = Option<crate::openapi::JsonMarkdownOrCsv>)]
    format: Option<String>,
}

/// A CSV export: its body with the CSV content type, downloaded as `name`.
pub(crate) fn csv_download(body: String, name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                rapport_app::exports::CSV_CONTENT_TYPE.to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// An overview's window, compare period and filter from a request's
/// `period`, `comparePeriod`, `asOf`, `csm` and `tier` (the API's and the
/// portfolio page's); refusals name the parameter.
pub(crate) fn overview_request(
    person: &Person,
    [period, compare_period, at]: [&Option<String>; 3],
    csm: Option<&str>,
    tier: Option<&str>,
) -> Result<
    (
        rapport_core::engine::Window,
        rapport_core::engagement::Compare,
        rapport_core::portfolio::overview::OverviewFilter,
    ),
    ApiError,
> {
    let (window, compare) = engagement_window(
        period.as_deref(),
        compare_period.as_deref(),
        as_of(at.as_deref())?,
    )?;
    Ok((window, compare, portfolio_filter(person, csm, tier)?))
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
#[utoipa::path(
    get,
    path = "/api/intelligence/engagement/{customer_id}",
    tag = "reports",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), EngagementQuery),
    responses((status = 200, description = "The account's engagement breakdown", content(
        (rapport_core::engagement::EngagementBreakdown = "application/json"),
        (String = "text/markdown"),
        (String = "text/csv"),
    ))),
)]
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
    let csv = query.format.as_deref().map(str::trim) == Some("csv");
    let markdown = !csv && markdown_wanted(query.format.as_deref())?;
    let request = EngagementRequest {
        window,
        compare,
        model: query.model,
    };
    if csv || markdown {
        let breakdown = blocking(&state, move |app| {
            Ok(app.engagement(&customer_id, &request)?)
        })
        .await?;
        return Ok(if csv {
            let text =
                rapport_app::exports::breakdown_csv(&breakdown).map_err(ApiError::internal)?;
            csv_download(text, &format!("engagement-{}", breakdown.external_id))
        } else {
            let text = render::engagement(&breakdown).map_err(ApiError::internal)?;
            document(DocumentFormat::Markdown, text)
        });
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AsOfQuery {
    /// The instant reported on: RFC 3339 or `YYYY-MM-DD`; default: now.
    as_of: Option<String>,
    /// `json` (the default) or `md`.
    #[param(value_type = Option<crate::openapi::JsonOrMarkdown>)]
    format: Option<String>,
}

/// `GET /api/intelligence/health/{customerId}?asOf&format=json|md`
#[utoipa::path(
    get,
    path = "/api/intelligence/health/{customer_id}",
    tag = "reports",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), AsOfQuery),
    responses((status = 200, description = "The account's health report", content(
        (HealthView = "application/json"),
        (String = "text/markdown"),
    ))),
)]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SuccessQuery {
    /// Only `all` (contract start to `asOf`), the default.
    period: Option<String>,
    /// Peer benchmarks; default `true`.
    #[param(value_type = Option<crate::openapi::Flag>)]
    include_benchmarks: Option<String>,
    /// Targets and expected progress; default `true`.
    #[param(value_type = Option<crate::openapi::Flag>)]
    include_targets: Option<String>,
    /// The instant reported on: RFC 3339 or `YYYY-MM-DD`; default: now.
    as_of: Option<String>,
    /// `json` (the default) or `md`.
    #[param(value_type = Option<crate::openapi::JsonOrMarkdown>)]
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
#[utoipa::path(
    get,
    path = "/api/intelligence/success-metrics/{customer_id}",
    tag = "reports",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), SuccessQuery),
    responses((status = 200, description = "The account's success metrics (without targets, their `target`, `expected` and `expectedProgress` are left out)", content(
        (rapport_core::account_success::AccountSuccess = "application/json"),
        (String = "text/markdown"),
    ))),
)]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DocumentQuery {
    /// `html` (the default), `md` or `json`.
    #[param(value_type = Option<crate::openapi::HtmlMarkdownOrJson>)]
    format: Option<String>,
    /// The instant reported on: RFC 3339 or `YYYY-MM-DD`; default: now.
    as_of: Option<String>,
    /// Only this CSM's accounts (a CSM sees only their own).
    csm: Option<String>,
    /// Only accounts of this tier.
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ValueReportQuery {
    /// `html` (the default) or `md`.
    #[param(value_type = Option<crate::openapi::HtmlOrMarkdown>)]
    format: Option<String>,
    /// The instant reported on: RFC 3339 or `YYYY-MM-DD`; default: now.
    as_of: Option<String>,
    /// `auto` (the default), `show` or `hide` the ROI.
    roi: Option<String>,
    /// `all` (the default) or only the `started` goals.
    goals: Option<String>,
}

/// `GET …/value-report?format=html|md&asOf&roi=auto|show|hide&goals=all|started`:
/// the customer-facing value report, showing what the CSM chose.
#[utoipa::path(
    get,
    path = "/api/intelligence/success-metrics/{customer_id}/value-report",
    tag = "reports",
    params(("customer_id" = String, Path, description = "The account: its `customerId`, external id or exact name"), ValueReportQuery),
    responses((status = 200, description = "The customer-facing value report", content(
        (String = "text/html"),
        (String = "text/markdown"),
    ))),
)]
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
#[utoipa::path(
    get,
    path = "/api/reports/weekly",
    tag = "reports",
    params(DocumentQuery),
    responses((status = 200, description = "The weekly portfolio report", content(
        (String = "text/html"),
        (String = "text/markdown"),
        (rapport_core::portfolio::weekly::WeeklyReport = "application/json"),
    ))),
)]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OverviewQuery {
    /// The window: days, weeks or months (`30d`, `4w`, `6m`); default `30d`.
    period: Option<String>,
    /// The window compared with; default: the one before `period`.
    compare_period: Option<String>,
    /// The instant reported on: RFC 3339 or `YYYY-MM-DD`; default: now.
    as_of: Option<String>,
    /// Only this CSM's accounts (a CSM sees only their own).
    csm: Option<String>,
    /// Only accounts of this tier.
    tier: Option<String>,
    /// `json` (the default) or `md`.
    #[param(value_type = Option<crate::openapi::JsonOrMarkdown>)]
    format: Option<String>,
}

/// `GET /api/intelligence/engagement-overview?period&comparePeriod&asOf&csm&tier&format=json|md`
#[utoipa::path(
    get,
    path = "/api/intelligence/engagement-overview",
    tag = "reports",
    params(OverviewQuery),
    responses((status = 200, description = "The portfolio's engagement overview", content(
        (Overview = "application/json"),
        (String = "text/markdown"),
    ))),
)]
pub(crate) async fn overview(
    State(state): State<AppState>,
    Extension(person): Extension<Person>,
    Query(query): Query<OverviewQuery>,
) -> Result<Response, ApiError> {
    let markdown = markdown_wanted(query.format.as_deref())?;
    let (window, compare, filter) = overview_request(
        &person,
        [&query.period, &query.compare_period, &query.as_of],
        query.csm.as_deref(),
        query.tier.as_deref(),
    )?;
    let view: Overview = blocking(&state, move |app| {
        Ok(app.overview(window, compare, &filter)?)
    })
    .await?;
    json_or_markdown(view, markdown, render::overview)
}
