//! Paging a list the API returns (`limit`, `offset`): the rule every list
//! route applies, refusals naming the parameter; without `limit` a list is
//! whole, as before paging existed.

use crate::{AppError, AppResult};

/// The most rows one page may ask for.
pub const MAX_LIMIT: usize = 1000;
/// The furthest a page may start (far beyond any list a store holds).
pub const MAX_OFFSET: usize = 1_000_000_000;

/// A page of a list: `limit` (1–1000; every row when absent) rows from
/// `offset` (0 when absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page {
    pub limit: Option<usize>,
    pub offset: usize,
}

impl Page {
    /// Parses `limit` and `offset` as a query gives them.
    pub fn parse(limit: Option<&str>, offset: Option<&str>) -> AppResult<Page> {
        let number = |field: &str, text: &str| {
            text.trim().parse::<usize>().map_err(|_| {
                AppError::invalid(field, format!("`{}` is not a whole number", text.trim()))
            })
        };
        let limit = match limit.map(str::trim).filter(|text| !text.is_empty()) {
            Some(text) => {
                let limit = number("limit", text)?;
                if !(1..=MAX_LIMIT).contains(&limit) {
                    return Err(AppError::invalid(
                        "limit",
                        format!("must be from 1 to {MAX_LIMIT}"),
                    ));
                }
                Some(limit)
            }
            None => None,
        };
        let offset = match offset.map(str::trim).filter(|text| !text.is_empty()) {
            Some(text) => number("offset", text)?,
            None => 0,
        };
        if offset > MAX_OFFSET {
            return Err(AppError::invalid(
                "offset",
                format!("must be at most {MAX_OFFSET}"),
            ));
        }
        Ok(Page { limit, offset })
    }

    /// This page of `rows`, and how many rows there are in all.
    pub fn of<T>(self, rows: Vec<T>) -> (Vec<T>, usize) {
        let total = rows.len();
        let rows = rows
            .into_iter()
            .skip(self.offset)
            .take(self.limit.unwrap_or(usize::MAX))
            .collect();
        (rows, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_its_rows_and_the_total_and_bad_numbers_are_named() {
        let page = Page::parse(Some("2"), Some("1")).unwrap();
        assert_eq!(page.of(vec![1, 2, 3, 4]), (vec![2, 3], 4));
        assert_eq!(
            Page::parse(None, None).unwrap().of(vec![1, 2]),
            (vec![1, 2], 2)
        );
        assert_eq!(
            Page::parse(None, Some("9")).unwrap().of(vec![1, 2]),
            (vec![], 2)
        );
        for (limit, offset, field) in [
            ("0", "", "limit"),
            ("1001", "", "limit"),
            ("x", "", "limit"),
            ("", "-1", "offset"),
        ] {
            match Page::parse(Some(limit), Some(offset)) {
                Err(AppError::Invalid { field: named, .. }) => assert_eq!(named, field),
                other => panic!("{limit} {offset}: {other:?}"),
            }
        }
    }
}
