//! The reports every surface shows: one account's engagement breakdown,
//! health and success metrics, the customer-facing value report, the
//! portfolio overview and the weekly report. Each is computed once here from
//! the live engine; the API serialises it, the CLI prints it as JSON (the same
//! body) or renders it.

use std::sync::Arc;

use rapport_core::access::Person;
use rapport_core::account_success::report::ValueReport;
use rapport_core::account_success::{AccountSuccess, account_success};
use rapport_core::engagement::{Compare, EngagementBreakdown, engagement_breakdown};
use rapport_core::engine::Window;
use rapport_core::health::{HealthView, health_view};
use rapport_core::portfolio::overview::{Overview, OverviewFilter, overview};
use rapport_core::portfolio::weekly::{WeeklyReport, weekly_report};
use rapport_core::scoring::model::Model;
use rapport_core::scoring::overrides::OverrideEvent;
use rapport_core::{Account, ExternalId, Period, Tier, Timestamp};

use crate::cache::Shared;
use crate::{App, AppError, AppResult};

/// What an engagement breakdown is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementRequest {
    pub window: Window,
    pub compare: Compare,
    /// A model by name; default: the account's tier's model.
    pub model: Option<String>,
}

/// Parses a period (default 30d) and a compare period (default `previous`)
/// ending at `as_of`; refusals name `period` or `comparePeriod`.
pub fn engagement_window(
    period: Option<&str>,
    compare: Option<&str>,
    as_of: Timestamp,
) -> AppResult<(Window, Compare)> {
    let period = match period.map(str::trim) {
        None | Some("") => Period::DEFAULT,
        Some(text) => text
            .parse()
            .map_err(|error| AppError::invalid("period", format!("{error}")))?,
    };
    let compare = Compare::parse(compare.unwrap_or("previous").trim())
        .map_err(|reason| AppError::invalid("comparePeriod", reason))?;
    Ok((Window::new(as_of, period), compare))
}

/// The portfolio filter of a request by `person`: their scope (a CSM sees
/// their own accounts and their team's), an optional CSM and an optional
/// tier (refusals name `tier`).
pub fn portfolio_filter(
    person: &Person,
    csm: Option<&str>,
    tier: Option<&str>,
) -> AppResult<OverviewFilter> {
    let tier = match tier.map(str::trim).filter(|tier| !tier.is_empty()) {
        Some(text) => Some(
            text.parse::<Tier>()
                .map_err(|error| AppError::invalid("tier", error.to_string()))?,
        ),
        None => None,
    };
    Ok(OverviewFilter {
        csm: csm
            .map(str::trim)
            .filter(|csm| !csm.is_empty())
            .map(str::to_string),
        tier,
        visible_to: (!person.sees_every_account()).then(|| person.clone()),
    })
}

/// Whether a customer-facing value report shows the investment, the value
/// multiple and the net ROI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoiLines {
    /// Shown when the net return on the recognised value is known and not
    /// negative; hidden otherwise, so a negative return never reaches the
    /// customer unless the CSM asked for it.
    #[default]
    Auto,
    /// Always shown, a negative return included: the CSM asked for it.
    Show,
    /// Never shown.
    Hide,
}

/// What the CSM chooses to show in a customer-facing value report. The CLI's
/// `export value-report --roi --goals` and the API's `?roi&goals` are parsed
/// by the same [`ValueReportOptions::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueReportOptions {
    pub roi: RoiLines,
    /// List the goals not yet started (default); their recognised value is
    /// nothing either way.
    pub include_not_started: bool,
}

impl Default for ValueReportOptions {
    fn default() -> Self {
        ValueReportOptions {
            roi: RoiLines::Auto,
            include_not_started: true,
        }
    }
}

impl ValueReportOptions {
    /// Parses `roi` (`auto`, the default, `show` or `hide`) and `goals`
    /// (`all`, the default, or `started`: leave out goals not yet started);
    /// a refusal names the parameter.
    pub fn parse(roi: Option<&str>, goals: Option<&str>) -> AppResult<Self> {
        let roi = match roi.map(str::trim).unwrap_or("") {
            "" | "auto" => RoiLines::Auto,
            "show" => RoiLines::Show,
            "hide" => RoiLines::Hide,
            other => {
                return Err(AppError::invalid(
                    "roi",
                    format!("`{other}` is not auto, show or hide"),
                ));
            }
        };
        let include_not_started = match goals.map(str::trim).unwrap_or("") {
            "" | "all" => true,
            "started" => false,
            other => {
                return Err(AppError::invalid(
                    "goals",
                    format!("`{other}` is neither all nor started"),
                ));
            }
        };
        Ok(ValueReportOptions {
            roi,
            include_not_started,
        })
    }
}

impl App {
    /// The engagement model a request names (one in use, with its saved
    /// version, else a shipped one), or the account's tier's.
    pub fn engagement_model(
        &self,
        name: Option<&str>,
        account: &Account,
    ) -> AppResult<crate::models::ModelInUse> {
        let models = self.models();
        match name.map(str::trim).filter(|name| !name.is_empty()) {
            Some(name) => models
                .engagement
                .named(name)
                .map(crate::models::ModelInUse::Named)
                .ok_or_else(|| {
                    AppError::invalid(
                        "model",
                        format!(
                            "`{name}` is not a model of this deployment nor a shipped one ({})",
                            Model::SHIPPED.join(", ")
                        ),
                    )
                }),
            None => Ok(crate::models::ModelInUse::Tier(models, account.tier)),
        }
    }

    /// One account's override events, from the store.
    pub fn override_events(&self, account: &ExternalId) -> AppResult<Vec<OverrideEvent>> {
        Ok(self
            .store
            .override_events(Some(account))?
            .into_iter()
            .map(|(_, event)| event)
            .collect())
    }

    /// The engagement breakdown (PRD-070) of one account, with a manual
    /// override of its model's score beside the computed one.
    pub fn engagement(
        &self,
        reference: &str,
        request: &EngagementRequest,
    ) -> AppResult<Arc<Shared<EngagementBreakdown>>> {
        let account = self.resolve(reference)?;
        let model = self.engagement_model(request.model.as_deref(), &account)?;
        let engine = self.read()?;
        let key = crate::cache::BreakdownKey {
            account: account.external_id.clone(),
            model: model.name.clone(),
            window: request.window,
            compare: request.compare,
            revision: engine.revision(),
        };
        let caches = self.caches();
        caches.breakdown(key, || {
            let events = self.override_events(&account.external_id)?;
            let state = engine
                .state
                .account(account.external_id.as_str())
                .ok_or_else(|| not_in_engine(&account))?;
            let mut breakdown = engagement_breakdown(
                &model,
                &engine.state,
                state,
                request.window,
                request.compare,
                &caches.breakdown_caches,
            )
            .ok_or_else(|| not_in_engine(&account))?;
            breakdown.apply_overrides(&events);
            Ok(Shared::new(breakdown))
        })
    }

    /// The health report of one account at `as_of`, with a manual override
    /// beside the computed score.
    pub fn health(&self, reference: &str, as_of: Timestamp) -> AppResult<HealthView> {
        let account = self.resolve(reference)?;
        let events = self.override_events(&account.external_id)?;
        let engine = self.read()?;
        let state = engine
            .state
            .account(account.external_id.as_str())
            .ok_or_else(|| not_in_engine(&account))?;
        health_view(&self.models().health, &engine.state, state, &events, as_of)
            .ok_or_else(|| not_in_engine(&account))
    }

    /// The success metrics (PRD-069) of one account at `as_of`: with the
    /// tier benchmark when `benchmarks`, with targets when `targets`.
    pub fn success(
        &self,
        reference: &str,
        as_of: Timestamp,
        benchmarks: bool,
        targets: bool,
    ) -> AppResult<AccountSuccess> {
        let account = self.resolve(reference)?;
        let engine = self.read()?;
        let state = engine
            .state
            .account(account.external_id.as_str())
            .ok_or_else(|| not_in_engine(&account))?;
        let caches = self.caches();
        let peers = benchmarks.then_some(&caches.success_peers);
        let success = account_success(&engine.state, state, as_of, peers, targets);
        success.ok_or_else(|| not_in_engine(&account))
    }

    /// The customer-facing value report of one account at `as_of`, showing
    /// what the CSM chose in `options`.
    pub fn value_report(
        &self,
        reference: &str,
        as_of: Timestamp,
        options: &ValueReportOptions,
    ) -> AppResult<ValueReport> {
        let success = self.success(reference, as_of, false, true)?;
        let show_roi = match options.roi {
            RoiLines::Auto => None,
            RoiLines::Show => Some(true),
            RoiLines::Hide => Some(false),
        };
        Ok(ValueReport::new(
            &success,
            options.include_not_started,
            show_roi,
        ))
    }

    /// Refuses a CSM filter that no account's CSM answers to (case
    /// ignored), naming `csm` and the closest names: an empty report would
    /// read as "nothing to worry about".
    pub fn check_csm(&self, csm: Option<&str>) -> AppResult<()> {
        let Some(csm) = csm.map(str::trim).filter(|csm| !csm.is_empty()) else {
            return Ok(());
        };
        let engine = self.read()?;
        let mut known: Vec<&str> = engine
            .state
            .accounts()
            .filter_map(|state| state.account())
            .map(|account| account.csm.as_str())
            .collect();
        if known.iter().any(|name| name.eq_ignore_ascii_case(csm)) {
            return Ok(());
        }
        known.sort_unstable();
        known.dedup();
        let lowered = csm.to_lowercase();
        let close: Vec<&str> = known
            .iter()
            .copied()
            .filter(|name| {
                let name = name.to_lowercase();
                name.contains(&lowered) || rapport_core::domain::close_spelling(&name, &lowered)
            })
            .collect();
        Err(AppError::invalid(
            "csm",
            if close.is_empty() {
                format!("no account has the CSM `{csm}`")
            } else {
                format!(
                    "no account has the CSM `{csm}`; did you mean {}",
                    close.join(", ")
                )
            },
        ))
    }

    /// The portfolio engagement overview (default engagement model).
    pub fn overview(
        &self,
        window: Window,
        compare: Compare,
        filter: &OverviewFilter,
    ) -> AppResult<Overview> {
        self.check_csm(filter.csm.as_deref())?;
        let overrides = self.override_trails()?;
        let models = self.models();
        let engine = self.read()?;
        Ok(overview(
            &engine.state,
            &models.engagement.default,
            &models.health,
            window,
            compare.window(window),
            filter,
            &overrides,
        ))
    }

    /// The weekly portfolio report at `as_of`.
    pub fn weekly(&self, as_of: Timestamp, filter: &OverviewFilter) -> AppResult<WeeklyReport> {
        self.check_csm(filter.csm.as_deref())?;
        let alerts = self.store.alerts(None, true)?;
        let overrides = self.override_trails()?;
        let engine = self.read()?;
        Ok(weekly_report(
            &engine.state,
            &self.models().health,
            filter,
            &alerts,
            &overrides,
            as_of,
        ))
    }

    /// Every account's override trail, for the roll-ups.
    pub(crate) fn override_trails(
        &self,
    ) -> AppResult<rapport_core::scoring::overrides::OverrideTrails> {
        Ok(self
            .store
            .override_events(None)?
            .into_iter()
            .map(|(account, event)| (account.as_str().to_string(), event))
            .collect())
    }
}

fn not_in_engine(account: &Account) -> AppError {
    AppError::NotFound(format!(
        "no account with id `{}` in the engine yet",
        account.external_id
    ))
}

#[cfg(test)]
mod value_report_tests {
    use rapport_core::account_success::AccountSuccess;
    use rapport_core::account_success::report::ValueReport;
    use rapport_core::success::engine::success_report;
    use rapport_core::success::{Goal, ValueDriver};
    use rapport_core::{CustomerId, ExternalId, Tier, Timestamp};

    use super::{RoiLines, ValueReportOptions};
    use crate::AppError;
    use crate::render::{DocumentFormat, value_report};

    /// Goals on a ten-day plan seen on day 5: one achieved (cost reduction
    /// 100,000), one not started (tools retired 103,200), and `extra`'s
    /// driver on an achieved goal.
    fn goals(extra: Option<serde_json::Value>) -> Vec<Goal> {
        let goal = |title: &str, value: Option<f64>, driver: serde_json::Value| {
            let history: Vec<serde_json::Value> = value
                .map(|value| serde_json::json!({"at": "2025-12-01T00:00:00Z", "value": value}))
                .into_iter()
                .collect();
            let mut goal: Goal = serde_json::from_value(serde_json::json!({
                "title": title, "startDate": "2026-01-01", "targetDate": "2026-01-11",
                "metrics": [{"category": "operational", "name": "Share", "baseline": 0,
                             "target": 100, "unit": "%", "direction": "higher_is_better",
                             "history": history}]
            }))
            .unwrap();
            let driver: ValueDriver = serde_json::from_value(driver).unwrap();
            goal.value_drivers = vec![driver];
            goal
        };
        let mut goals = vec![
            goal(
                "Cut costs",
                Some(100.0),
                serde_json::json!({"kind": "cost_reduction", "amountPerYear": 100_000, "confidence": "high"}),
            ),
            goal(
                "Retire tools",
                None,
                serde_json::json!({"kind": "tools_retired", "annualCost": 103_200, "confidence": "high"}),
            ),
        ];
        goals.extend(extra.map(|driver| goal("Save time", Some(100.0), driver)));
        goals
    }

    fn report(goals: &[Goal], investment: f64, options: &str) -> ValueReport {
        let external_id = ExternalId::parse("acc-0001").unwrap();
        let view = AccountSuccess {
            customer_id: CustomerId::for_external_id(&external_id),
            external_id: external_id.to_string(),
            account_name: "Acme Corp".into(),
            tier: Tier::Growth,
            period: "all".into(),
            contract_start: None,
            renewal_date: None,
            investment,
            include_targets: true,
            churned: None,
            report: success_report(
                goals,
                Timestamp::parse_rfc3339("2026-01-06T00:00:00Z").unwrap(),
                investment,
                None,
                None,
                None,
            ),
        };
        let (roi, goals) = options.split_once(' ').unwrap();
        let options = ValueReportOptions::parse(Some(roi), Some(goals)).unwrap();
        let show_roi = match options.roi {
            RoiLines::Auto => None,
            RoiLines::Show => Some(true),
            RoiLines::Hide => Some(false),
        };
        ValueReport::new(&view, options.include_not_started, show_roi)
    }

    fn render(report: &ValueReport) -> (String, String) {
        (
            value_report(report, DocumentFormat::Markdown).unwrap(),
            value_report(report, DocumentFormat::Html).unwrap(),
        )
    }

    #[test]
    fn the_csm_choices_parse_alike_for_the_cli_and_the_api() {
        assert_eq!(
            ValueReportOptions::parse(None, None).unwrap(),
            ValueReportOptions::default()
        );
        let chosen = ValueReportOptions::parse(Some("show"), Some("started")).unwrap();
        assert_eq!(
            (chosen.roi, chosen.include_not_started),
            (RoiLines::Show, false)
        );
        assert_eq!(
            ValueReportOptions::parse(Some("hide"), Some("all"))
                .unwrap()
                .roi,
            RoiLines::Hide
        );
        for (roi, goals, field) in [(Some("always"), None, "roi"), (None, Some("some"), "goals")] {
            match ValueReportOptions::parse(roi, goals) {
                Err(AppError::Invalid { field: named, .. }) => assert_eq!(named, field),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_customer_sees_recognised_value_and_a_negative_return_only_when_asked() {
        // 100,000 recognised (the goal not started counts nothing) on an
        // investment of 150,000: a net return of −33 %.
        let goals = goals(None);
        let (markdown, html) = render(&report(&goals, 150_000.0, "auto all"));
        for document in [&markdown, &html] {
            assert!(document.contains("$100,000"), "{document}");
            assert!(!document.contains("$203,200"), "{document}");
            assert!(!document.contains("Return on Investment"), "{document}");
            assert!(!document.contains("-33"), "{document}");
            assert!(document.contains("none recognised yet"), "{document}");
        }
        assert!(markdown.contains("- **$100,000** annual value recognised"));
        let (markdown, html) = render(&report(&goals, 150_000.0, "show all"));
        for document in [&markdown, &html] {
            assert!(document.contains("Return on Investment"), "{document}");
            assert!(document.contains("-33%"), "{document}");
            assert!(document.contains("0.67×"), "{document}");
        }
        // A positive return is shown unless hidden.
        let (markdown, _) = render(&report(&goals, 50_000.0, "auto all"));
        assert!(markdown.contains("**2.00×** value for the investment (100% net return)"));
        let (markdown, html) = render(&report(&goals, 50_000.0, "hide all"));
        assert!(!markdown.contains("×") && !html.contains("×"), "{markdown}");
        // Goals not started left out.
        let (markdown, _) = render(&report(&goals, 50_000.0, "auto started"));
        assert!(!markdown.contains("Retire tools"), "{markdown}");
        assert!(markdown.contains("**1 of 1 goal**"), "{markdown}");
    }

    #[test]
    fn a_figure_no_document_can_write_reads_as_a_dash() {
        let goals = goals(Some(serde_json::json!({
            "kind": "time_saved", "hoursPerMonth": 1e200, "hourlyRate": 45, "confidence": "high"
        })));
        let (markdown, html) = render(&report(&goals, 150_000.0, "show all"));
        for document in [&markdown, &html] {
            for saturated in ["9,223,372,036,854,775,807", "inf", "NaN", "e+"] {
                assert!(!document.contains(saturated), "{saturated}: {document}");
            }
        }
        assert!(
            markdown.contains("- **–** annual value recognised"),
            "{markdown}"
        );
        assert!(markdown.contains("| **Total** | **–** | |"), "{markdown}");
        assert!(html.contains("<b>–</b>annual value recognised"), "{html}");
    }
}
