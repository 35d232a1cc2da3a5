//! `page`/`per_page` for list endpoints: per_page 5–50 (default 20) as in
//! the schema, `result_info {page, per_page, count, total_count}`, and an
//! empty page (not an error) past the end, which is how SDKs stop paging.
//! Out-of-range values are refused with 400/1001 rather than clamped [?].

use serde_json::{Value, json};

use crate::envelope::{ApiError, Reply};
use crate::request::ApiRequest;

pub(crate) const DEFAULT_PER_PAGE: usize = 20;
pub(crate) const MIN_PER_PAGE: usize = 5;
pub(crate) const MAX_PER_PAGE: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub page: usize,
    pub per_page: usize,
}

pub(crate) fn parse(req: &ApiRequest) -> Result<Page, ApiError> {
    let number = |key: &str, default: usize| -> Result<usize, ApiError> {
        match req.query(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| ApiError::invalid(format!("{key} must be a positive integer"))),
        }
    };
    let page = number("page", 1)?;
    let per_page = number("per_page", DEFAULT_PER_PAGE)?;
    if page < 1 {
        return Err(ApiError::invalid("page must be at least 1"));
    }
    if !(MIN_PER_PAGE..=MAX_PER_PAGE).contains(&per_page) {
        return Err(ApiError::invalid(format!(
            "per_page must be between {MIN_PER_PAGE} and {MAX_PER_PAGE}"
        )));
    }
    Ok(Page { page, per_page })
}

/// The requested slice of `items` in a success envelope with `result_info`. With `null_empty`
/// (`Strict::null_results`) an empty page has `"result": null`.
pub(crate) fn reply(items: Vec<Value>, p: Page, null_empty: bool) -> Reply {
    let total = items.len();
    let result: Vec<Value> = items
        .into_iter()
        .skip((p.page - 1).saturating_mul(p.per_page))
        .take(p.per_page)
        .collect();
    let info = json!({"page": p.page, "per_page": p.per_page, "count": result.len(), "total_count": total});
    let result = if result.is_empty() && null_empty {
        Value::Null
    } else {
        Value::Array(result)
    };
    Reply::ok_with(result, Vec::new(), Some(info))
}
