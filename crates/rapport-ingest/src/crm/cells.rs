//! How a mapping reads an export's cells: the words keyword rules compare,
//! date formats checked to name a whole date, and money without its currency.

use std::fmt::Write as _;

use chrono::NaiveDate;

/// The lowercased words (runs of letters and digits) of a text.
pub(super) fn words(text: &str) -> Vec<String> {
    text.split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `phrase`'s words appear one after the other in `words`.
pub(super) fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    words.windows(phrase.len()).any(|window| window == phrase)
}

/// A date format must write a whole date and read it back: a day, a month
/// and a year, and nothing chrono cannot parse.
pub(super) fn check_date_format(format: &str) -> Result<(), String> {
    let probe = NaiveDate::from_ymd_opt(2031, 12, 25).expect("a valid date");
    let mut written = String::new();
    let read_back = write!(written, "{}", probe.format(format))
        .ok()
        .and_then(|()| NaiveDate::parse_from_str(&written, format).ok());
    if read_back == Some(probe) {
        Ok(())
    } else {
        Err(format!(
            "`{format}` is not a date format naming a day, a month and a year \
             (chrono's, such as \"%m/%d/%Y\" or \"%d.%m.%Y\")"
        ))
    }
}

/// A money cell without its currency: a symbol (`$`, `€`, `£`, …) or an ISO
/// code (`USD`, `US$`, `CHF`) before or after the amount is dropped, a
/// leading minus kept. The amount is taken as it is (no conversion); the
/// contract's parsing then reads the thousands commas.
pub(super) fn without_currency(text: &str) -> String {
    let text = text.trim();
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest.trim_start()),
        None => ("", text),
    };
    let rest = strip_currency_prefix(rest);
    let rest = strip_currency_suffix(rest);
    format!("{sign}{rest}")
}

fn is_currency_symbol(character: char) -> bool {
    "$€£¥₹₩₽₺₪₫₱₦¢₴₸₲₵₡".contains(character)
}

fn strip_currency_prefix(text: &str) -> &str {
    let code = text.bytes().take_while(u8::is_ascii_uppercase).count();
    if code > 3 {
        return text;
    }
    let after_code = &text[code..];
    let after_symbol = after_code
        .strip_prefix(is_currency_symbol)
        .unwrap_or(after_code);
    let rest = after_symbol.trim_start();
    let starts_a_number = rest
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_digit() || first == '.' || first == '-');
    if starts_a_number { rest } else { text }
}

fn strip_currency_suffix(text: &str) -> &str {
    let without_code = text.trim_end_matches(|character: char| character.is_ascii_uppercase());
    let code = text.len() - without_code.len();
    if code > 3 {
        return text;
    }
    let without_symbol = without_code
        .strip_suffix(is_currency_symbol)
        .unwrap_or(without_code);
    let rest = without_symbol.trim_end();
    let ends_a_number = rest
        .chars()
        .last()
        .is_some_and(|last| last.is_ascii_digit());
    if ends_a_number { rest } else { text }
}
