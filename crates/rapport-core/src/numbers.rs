//! How numbers are written for people, in one place: the core's sentences
//! (root causes, signals, alerts) and every template write numbers through
//! these functions, so a figure reads the same on every surface.
//!
//! Rules (docs/decisions.md, "Numbers people read"):
//! - A 0–100 score is written in whole points **rounded down**, so the
//!   written figure always agrees with an integer threshold: a score of 49.6
//!   reads "49", and "49 is below 50" is true; 79.9 is never "80" in the
//!   at-risk band.
//! - Other figures are rounded half away from zero to the decimals asked for.
//! - A figure that rounds to zero has no sign (never "-0" or "-0.0").
//! - A figure that is not finite, or beyond what any real account could hold
//!   ([`PLAUSIBLE`]), is written "–", never as a saturated number.
//! - Counts take English plurals ("1 day", "2 days"); ranks take English
//!   ordinals ("1st", "22nd", "113th"); money has thousands separators.

/// The largest magnitude written as a figure: beyond it a value is a defect
/// upstream (inputs are bounded far below it), written "–".
pub const PLAUSIBLE: f64 = 1e15;

/// What is written for a figure that is missing or implausible.
pub const MISSING: &str = "–";

fn plausible(value: f64) -> bool {
    value.is_finite() && value.abs() < PLAUSIBLE
}

/// A 0–100 score in whole points, rounded down (see the module's rules).
pub fn score(value: f64) -> String {
    if !plausible(value) {
        return MISSING.into();
    }
    let whole = value.floor();
    format!("{}", if whole == 0.0 { 0.0 } else { whole })
}

/// A score when there is one, else "–".
pub fn score_or_missing(value: Option<f64>) -> String {
    value.map_or_else(|| MISSING.into(), score)
}

/// `value` rounded half away from zero to `decimals`, with no negative zero.
pub fn fixed(value: f64, decimals: usize) -> String {
    if !plausible(value) {
        return MISSING.into();
    }
    let scale = 10f64.powi(decimals as i32);
    let rounded = (value * scale).round() / scale;
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    format!("{rounded:.decimals$}")
}

/// A change with its sign: `+1.5`, `-1.5`, and `0` (or `0.0`) without one.
pub fn signed(value: f64, decimals: usize) -> String {
    let text = fixed(value, decimals);
    if text == MISSING || text.starts_with('-') || text.trim_start_matches(['0', '.']).is_empty() {
        text
    } else {
        format!("+{text}")
    }
}

/// A percentage already on the 0–100 scale: `12%`, `-3%`, `0%`.
pub fn percent(value: f64, decimals: usize) -> String {
    let text = fixed(value, decimals);
    if text == MISSING {
        text
    } else {
        format!("{text}%")
    }
}

/// Whole dollars with thousands separators: `$1,234,567`, `-$5`, `$0`.
pub fn money(value: f64) -> String {
    if !plausible(value) {
        return MISSING.into();
    }
    let whole = value.round() as i64;
    format!(
        "{}${}",
        if whole < 0 { "-" } else { "" },
        grouped(whole.unsigned_abs())
    )
}

/// A whole number with thousands separators: `1,234,567`.
pub fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A rank as people write it, rounded to a whole number: `1st`, `2nd`,
/// `3rd`, `11th`, `12th`, `13th`, `21st`, `42nd`, `100th`.
pub fn ordinal(value: f64) -> String {
    if !plausible(value) {
        return MISSING.into();
    }
    let whole = value.round().max(0.0) as u64;
    let suffix = match (whole % 10, whole % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{whole}{suffix}")
}

/// A count with its noun: `1 day`, `2 days`, `0 days`; `singular` takes an
/// `s` unless `plural` says otherwise ("1 reply", "2 replies").
pub fn count(value: u64, singular: &str, plural: Option<&str>) -> String {
    if value == 1 {
        format!("1 {singular}")
    } else {
        match plural {
            Some(plural) => format!("{} {plural}", grouped(value)),
            None => format!("{} {singular}s", grouped(value)),
        }
    }
}

/// How long ago something happened, in whole days: `today`, `yesterday`,
/// `12 days ago`.
pub fn days_ago(days: f64) -> String {
    if !plausible(days) {
        return MISSING.into();
    }
    match days.floor().max(0.0) as u64 {
        0 => "today".into(),
        1 => "yesterday".into(),
        days => format!("{} days ago", grouped(days)),
    }
}

/// A factor's value with its unit, as PRD-070 writes it: `72%`, `3.5 hrs`,
/// `4.2/mo`, `1.5/week`, `12.0 min`, `3 contacts`, `12 days ago`.
pub fn with_unit(value: f64, unit: &str) -> String {
    if !plausible(value) {
        return MISSING.into();
    }
    match unit {
        "%" => percent(value, 0),
        "hours" => format!("{} hrs", fixed(value, 1)),
        "per month" => format!("{}/mo", fixed(value, 1)),
        "per user per week" | "per week" => format!("{}/week", fixed(value, 1)),
        "minutes" => format!("{} min", fixed(value, 1)),
        "contacts" => count(value.round().max(0.0) as u64, "contact", None),
        "days since last engagement" | "days" => days_ago(value),
        // Counts ("4 in 30 days", "2 tickets") without a decimal, measures with one.
        "" if value.fract() == 0.0 => fixed(value, 0),
        "" => fixed(value, 1),
        other => measure(value, other),
    }
}

/// A measure in a unit of the data's own ("tickets", "users", "in 30 days"):
/// a whole number without a decimal, other values with one, and a one-word
/// plural unit in the singular for exactly one ("1 ticket", "1.5 tickets").
pub fn measure(value: f64, unit: &str) -> String {
    if !plausible(value) {
        return MISSING.into();
    }
    let decimals = if value.fract() == 0.0 { 0 } else { 1 };
    let text = fixed(value, decimals);
    let one_word = !unit.is_empty() && unit.chars().all(char::is_alphabetic);
    let unit = match unit.strip_suffix('s') {
        Some(singular) if (text == "1" || text == "-1") && one_word && !singular.ends_with('s') => {
            singular
        }
        _ => unit,
    };
    if unit.is_empty() {
        text
    } else {
        format!("{text} {unit}")
    }
}

/// A factor's target with its unit; a "days since" target is a ceiling.
pub fn target_with_unit(value: f64, unit: &str) -> String {
    if unit.starts_with("days") {
        format!("≤ {}", count(value.round().max(0.0) as u64, "day", None))
    } else {
        with_unit(value, unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_down_so_display_and_threshold_agree() {
        assert_eq!(score(49.6), "49");
        assert_eq!(score(79.99), "79");
        assert_eq!(score(80.0), "80");
        assert_eq!(score(-0.0), "0");
        assert_eq!(score(0.4), "0");
        assert_eq!(score(100.0), "100");
        assert_eq!(score(f64::NAN), "–");
        assert_eq!(score_or_missing(None), "–");
    }

    #[test]
    fn no_negative_zero_and_no_saturated_figure() {
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(-0.0, 0), "0");
        assert_eq!(fixed(2.25, 1), "2.3");
        assert_eq!(fixed(-2.25, 1), "-2.3");
        assert_eq!(percent(-0.3, 0), "0%");
        assert_eq!(percent(12.4, 0), "12%");
        assert_eq!(signed(-0.04, 1), "0.0");
        assert_eq!(signed(0.0, 0), "0");
        assert_eq!(signed(3.0, 0), "+3");
        assert_eq!(signed(-3.26, 1), "-3.3");
        assert_eq!(money(1e200), "–");
        assert_eq!(money(f64::INFINITY), "–");
        assert_eq!(fixed(f64::NAN, 1), "–");
        assert_eq!(money(-0.2), "$0");
        assert_eq!(money(1_234_567.5), "$1,234,568");
        assert_eq!(money(-5.0), "-$5");
    }

    #[test]
    fn plurals_and_ordinals_are_english() {
        assert_eq!(count(1, "day", None), "1 day");
        assert_eq!(count(0, "day", None), "0 days");
        assert_eq!(count(1200, "login", None), "1,200 logins");
        assert_eq!(count(2, "reply", Some("replies")), "2 replies");
        assert_eq!(days_ago(0.5), "today");
        assert_eq!(days_ago(1.0), "yesterday");
        assert_eq!(days_ago(12.9), "12 days ago");
        assert_eq!(with_unit(1.0, "days"), "yesterday");
        assert_eq!(with_unit(1.0, "contacts"), "1 contact");
        assert_eq!(with_unit(1.0, "tickets"), "1 ticket");
        assert_eq!(with_unit(2.0, "tickets"), "2 tickets");
        assert_eq!(with_unit(1.0, "in 30 days"), "1 in 30 days");
        assert_eq!(measure(1.0, "users"), "1 user");
        assert_eq!(measure(1.5, "users"), "1.5 users");
        assert_eq!(measure(1.0, "hours"), "1 hour");
        assert_eq!(measure(-1.0, "points"), "-1 point");
        assert_eq!(with_unit(-0.2, "%"), "0%");
        assert_eq!(target_with_unit(1.0, "days"), "≤ 1 day");
        let written: Vec<String> = [
            1.0, 2.0, 3.0, 4.0, 11.0, 12.0, 13.0, 21.0, 22.4, 41.0, 112.6,
        ]
        .into_iter()
        .map(ordinal)
        .collect();
        assert_eq!(
            written,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "41st", "113th"
            ]
        );
    }
}
