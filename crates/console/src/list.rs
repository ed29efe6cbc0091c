//! The one list convention every collection is read with: domain modules
//! (users, audit, sensors, topology…) take [`ListParams`] and return a
//! [`Page`]; the API layer parses the query into them and maps a
//! [`ListError`] to a 400 (`api::list`). Nothing here knows HTTP.
//!
//! Query parameters:
//! - `limit` (1–500, default 50) and `offset` (default 0) page the results;
//! - `sort=field` or `sort=-field` (descending), among the fields the
//!   endpoint lists as sortable;
//! - `q=text` searches the endpoint's searchable fields (substring);
//! - any of the endpoint's filters, `field=value` (exact match).
//!
//! Unknown parameters, sort fields or out-of-range numbers are an error that
//! names what is accepted, so typos never silently return everything.
//! Responses are `{"items": […], "total": N, "limit": L, "offset": O}`.

use std::collections::HashMap;

use sea_query::{Expr, ExprTrait, Order, SelectStatement};
use serde::Serialize;
use utoipa::ToSchema;

/// A list parameter that breaks the convention; the message names what is
/// accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ListError(pub String);

/// Largest page size.
pub const MAX_LIMIT: u64 = 500;
/// Page size when none is given.
pub const DEFAULT_LIMIT: u64 = 50;
/// Longest accepted filter or search value.
const MAX_VALUE_LEN: usize = 256;

/// What a list endpoint accepts.
#[derive(Debug, Clone, Copy)]
pub struct ListSpec {
    /// Columns that `sort` may name.
    pub sortable: &'static [&'static str],
    /// The sort used when none is given (may start with `-`).
    pub default_sort: &'static str,
    /// Columns usable as exact-match filters.
    pub filters: &'static [&'static str],
    /// Columns `q` searches.
    pub searchable: &'static [&'static str],
}

/// Validated list parameters.
#[derive(Debug, Clone)]
pub struct ListParams {
    /// Page size.
    pub limit: u64,
    /// Rows to skip.
    pub offset: u64,
    /// Sort column (from the spec) and direction.
    pub sort: (&'static str, Order),
    /// Exact-match filters (column from the spec, value).
    pub filters: Vec<(&'static str, String)>,
    /// Substring search, with the columns to search.
    pub search: Option<(String, &'static [&'static str])>,
}

/// One page of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: i64,
    /// The page size used.
    pub limit: u64,
    /// The offset used.
    pub offset: u64,
}

fn find(names: &'static [&'static str], wanted: &str) -> Option<&'static str> {
    names.iter().copied().find(|name| *name == wanted)
}

fn parse_number(name: &str, value: &str, max: u64) -> Result<u64, ListError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| ListError(format!("`{name}` must be a whole number from 0 to {max}")))
}

impl ListParams {
    /// Validates raw query parameters against a spec.
    pub fn parse(raw: &HashMap<String, String>, spec: &ListSpec) -> Result<ListParams, ListError> {
        let mut params = ListParams {
            limit: DEFAULT_LIMIT,
            offset: 0,
            sort: parse_sort(spec.default_sort, spec)?,
            filters: Vec::new(),
            search: None,
        };
        for (name, value) in raw {
            if value.len() > MAX_VALUE_LEN {
                return Err(ListError(format!(
                    "`{name}` is too long (at most {MAX_VALUE_LEN} bytes)"
                )));
            }
            match name.as_str() {
                "limit" => {
                    params.limit = parse_number("limit", value, MAX_LIMIT)?;
                    if params.limit == 0 {
                        return Err(ListError(format!("`limit` must be from 1 to {MAX_LIMIT}")));
                    }
                }
                "offset" => params.offset = parse_number("offset", value, i64::MAX as u64)?,
                "sort" => params.sort = parse_sort(value, spec)?,
                "q" if !spec.searchable.is_empty() => {
                    if !value.is_empty() {
                        params.search = Some((value.clone(), spec.searchable));
                    }
                }
                other => match find(spec.filters, other) {
                    Some(column) => params.filters.push((column, value.clone())),
                    None => {
                        let mut accepted = vec!["limit", "offset", "sort"];
                        if !spec.searchable.is_empty() {
                            accepted.push("q");
                        }
                        accepted.extend(spec.filters);
                        return Err(ListError(format!(
                            "unknown query parameter `{other}`; accepted: {}",
                            accepted.join(", ")
                        )));
                    }
                },
            }
        }
        // Deterministic order of filters whatever the map's iteration order.
        params.filters.sort();
        Ok(params)
    }

    /// Adds the search condition (a case-insensitive substring match).
    pub fn apply_search(&self, select: &mut SelectStatement) {
        if let Some((text, columns)) = &self.search {
            let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
            let mut any = sea_query::Condition::any();
            for column in *columns {
                any = any.add(
                    Expr::expr(sea_query::Func::lower(Expr::col(*column)))
                        .like(sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
                );
            }
            select.cond_where(any);
        }
    }

    /// Adds the sort order, limit and offset.
    pub fn apply_order_and_page(&self, select: &mut SelectStatement) {
        select
            .order_by(self.sort.0, self.sort.1.clone())
            .limit(self.limit)
            .offset(self.offset);
    }

    /// Filters, searches, sorts and pages an already loaded collection (for
    /// resources whose whole set is bounded, such as a user's tokens or the
    /// sensors), with the same parameters and meaning as a database query.
    /// `key` gives the value of a field as text.
    pub fn page_in_memory<T>(
        &self,
        mut items: Vec<T>,
        key: impl Fn(&T, &str) -> String,
    ) -> Page<T> {
        items.retain(|item| {
            self.filters
                .iter()
                .all(|(column, value)| key(item, column) == *value)
        });
        if let Some((text, columns)) = &self.search {
            let text = text.to_lowercase();
            items.retain(|item| {
                columns
                    .iter()
                    .any(|column| key(item, column).to_lowercase().contains(&text))
            });
        }
        let (field, order) = (self.sort.0, self.sort.1.clone());
        items.sort_by(|a, b| {
            let ordering = key(a, field).cmp(&key(b, field));
            if matches!(order, Order::Desc) {
                ordering.reverse()
            } else {
                ordering
            }
        });
        let total = items.len() as i64;
        let items = items
            .into_iter()
            .skip(usize::try_from(self.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(self.limit).unwrap_or(usize::MAX))
            .collect();
        self.page(items, total)
    }

    /// Wraps one page of items.
    pub fn page<T>(&self, items: Vec<T>, total: i64) -> Page<T> {
        Page {
            items,
            total,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

fn parse_sort(value: &str, spec: &ListSpec) -> Result<(&'static str, Order), ListError> {
    let (field, order) = match value.strip_prefix('-') {
        Some(field) => (field, Order::Desc),
        None => (value, Order::Asc),
    };
    let column = find(spec.sortable, field).ok_or_else(|| {
        ListError(format!(
            "cannot sort by `{field}`; sortable fields: {} (prefix with - for descending)",
            spec.sortable.join(", ")
        ))
    })?;
    Ok((column, order))
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: ListSpec = ListSpec {
        sortable: &["name", "at"],
        default_sort: "-at",
        filters: &["role"],
        searchable: &["name"],
    };

    fn raw(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_valid_params() {
        let p = ListParams::parse(&raw(&[]), &SPEC).unwrap();
        assert_eq!((p.limit, p.offset), (DEFAULT_LIMIT, 0));
        assert_eq!(p.sort.0, "at");
        let p = ListParams::parse(
            &raw(&[
                ("limit", "10"),
                ("sort", "name"),
                ("role", "admin"),
                ("q", "al"),
            ]),
            &SPEC,
        )
        .unwrap();
        assert_eq!(p.limit, 10);
        assert_eq!(p.filters, vec![("role", "admin".to_string())]);
        assert!(p.search.is_some());
    }

    #[test]
    fn rejects_bad_params() {
        for bad in [
            raw(&[("limit", "0")]),
            raw(&[("limit", "501")]),
            raw(&[("limit", "-1")]),
            raw(&[("offset", "x")]),
            raw(&[("sort", "password_hash")]),
            raw(&[("colour", "red")]),
            raw(&[("q", &"x".repeat(300))]),
        ] {
            assert!(
                ListParams::parse(&bad, &SPEC).is_err(),
                "{bad:?} must be rejected"
            );
        }
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_a\\"), "50\\%\\_a\\\\");
    }
}
