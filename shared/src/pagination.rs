//! Page-number pagination: `page`, `per_page` in, `meta.pagination` out.

use serde::{Deserialize, Serialize};

/// The largest `per_page` a list route accepts.
pub const MAX_PER_PAGE: u32 = 100;
/// `per_page` when the client gives none.
pub const DEFAULT_PER_PAGE: u32 = 25;

/// A validated page request (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u32,
    /// Items per page, 1..=MAX_PER_PAGE.
    pub per_page: u32,
}

impl PageRequest {
    /// Validates raw query values; `Err` names the offending parameter.
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<Self, &'static str> {
        let page = match page {
            None => 1,
            Some(v) => v.parse::<u32>().ok().filter(|p| *p >= 1).ok_or("page")?,
        };
        let per_page = match per_page {
            None => DEFAULT_PER_PAGE,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|p| (1..=MAX_PER_PAGE).contains(p))
                .ok_or("per_page")?,
        };
        Ok(Self { page, per_page })
    }

    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        (i64::from(self.page) - 1) * i64::from(self.per_page)
    }

    /// The `meta.pagination` object for a result of `total` rows.
    pub fn meta(&self, total: u64) -> Pagination {
        let per_page = u64::from(self.per_page);
        Pagination {
            page: self.page,
            per_page: self.per_page,
            total,
            total_pages: total.div_ceil(per_page),
        }
    }
}

/// `meta.pagination`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pagination {
    /// 1-based page number.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
    /// Items in all pages.
    pub total: u64,
    /// Number of pages.
    pub total_pages: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_defaults_and_rejects_out_of_range() {
        assert_eq!(
            PageRequest::parse(None, None),
            Ok(PageRequest {
                page: 1,
                per_page: 25
            })
        );
        assert_eq!(PageRequest::parse(Some("0"), None), Err("page"));
        assert_eq!(PageRequest::parse(None, Some("101")), Err("per_page"));
        assert_eq!(PageRequest::parse(Some("x"), None), Err("page"));
        let p = PageRequest::parse(Some("3"), Some("10")).expect("valid");
        assert_eq!(p.offset(), 20);
        assert_eq!(p.meta(21).total_pages, 3);
        assert_eq!(p.meta(0).total_pages, 0);
    }
}
