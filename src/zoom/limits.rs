//! Zoom's published rate limits (per plan, API family and category) and the category
//! labels Zoom uses in docs and in the `X-RateLimit-Category` header.
//!
//! Source: Zoom "Rate limits" page (developers.zoom.us/docs/api/rate-limits/, snapshot
//! 2026-02-07), transcribed in docs/zoom-contract.md section 7.1.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Zoom account plan; sizes the rate budget (Zoom "Rate limits" page).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// Free accounts.
    Free,
    /// Pro accounts.
    Pro,
    /// Business, Education, Enterprise and Partners ("Business+").
    #[default]
    Business,
}

/// Which of Zoom's two rate-limit tables applies to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiFamily {
    /// Users, groups, roles, settings ("General APIs").
    General,
    /// Everything under `/phone` ("Zoom Phone APIs").
    Phone,
}

impl ApiFamily {
    /// A short label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Phone => "phone",
        }
    }
}

/// Zoom's rate-limit category ("Rate Limit Label" of each operation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// `Light`.
    Light,
    /// `Medium`.
    Medium,
    /// `Heavy`.
    Heavy,
    /// `Resource-intensive`.
    ResourceIntensive,
}

impl Category {
    /// Every category, lightest first.
    pub const ALL: [Category; 4] = [
        Self::Light,
        Self::Medium,
        Self::Heavy,
        Self::ResourceIntensive,
    ];

    /// Parses a label as Zoom spells it anywhere (`LIGHT`, `Light`, `Resource-intensive`,
    /// `RESOURCE_INTENSIVE`...). Contract section 7.2: the spellings vary, so labels
    /// are compared without regard to case.
    pub fn from_label(label: &str) -> Option<Self> {
        let normalized: String = label
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match normalized.as_str() {
            "light" => Some(Self::Light),
            "medium" => Some(Self::Medium),
            "heavy" => Some(Self::Heavy),
            "resourceintensive" => Some(Self::ResourceIntensive),
            _ => None,
        }
    }

    /// The label as Zoom's header spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "Light",
            Self::Medium => "Medium",
            Self::Heavy => "Heavy",
            Self::ResourceIntensive => "Resource-intensive",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One cell of Zoom's rate-limit table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per [`RateLimit::per`].
    pub requests: u32,
    /// The window of `requests` (one second, or one minute for Resource-intensive).
    pub per: Duration,
    /// The daily cap, where Zoom publishes one. Heavy and Resource-intensive share theirs
    /// (the same number is given for both).
    pub daily: Option<u32>,
}

impl RateLimit {
    const fn per_second(requests: u32, daily: Option<u32>) -> Self {
        Self {
            requests,
            per: Duration::from_secs(1),
            daily,
        }
    }

    const fn per_minute(requests: u32, daily: Option<u32>) -> Self {
        Self {
            requests,
            per: Duration::from_secs(60),
            daily,
        }
    }

    /// The sustained rate in requests per second.
    pub fn per_second_rate(&self) -> f64 {
        f64::from(self.requests) / self.per.as_secs_f64()
    }
}

/// Zoom's limit for `plan`, `family` and `category` (contract section 7.1).
///
/// Zoom publishes no Free column for Zoom Phone (phone needs a paid plan; a Free account
/// gets 403 from every phone endpoint), so Free uses the Pro phone numbers.
pub fn rate_limit(plan: Plan, family: ApiFamily, category: Category) -> RateLimit {
    use ApiFamily::{General, Phone};
    use Category::{Heavy, Light, Medium, ResourceIntensive};
    match (family, plan, category) {
        // General APIs.
        (General, Plan::Free, Light) => RateLimit::per_second(4, Some(6_000)),
        (General, Plan::Free, Medium) => RateLimit::per_second(2, Some(2_000)),
        (General, Plan::Free, Heavy) => RateLimit::per_second(1, Some(1_000)),
        (General, Plan::Free, ResourceIntensive) => RateLimit::per_minute(10, Some(30_000)),
        (General, Plan::Pro, Light) => RateLimit::per_second(30, None),
        (General, Plan::Pro, Medium) => RateLimit::per_second(20, None),
        // "Combined daily limit for Heavy plus Resource-intensive: Pro 30,000/day".
        (General, Plan::Pro, Heavy) => RateLimit::per_second(10, Some(30_000)),
        (General, Plan::Pro, ResourceIntensive) => RateLimit::per_minute(10, Some(30_000)),
        (General, Plan::Business, Light) => RateLimit::per_second(80, None),
        (General, Plan::Business, Medium) => RateLimit::per_second(60, None),
        // "... Business+ 60,000/day".
        (General, Plan::Business, Heavy) => RateLimit::per_second(40, Some(60_000)),
        (General, Plan::Business, ResourceIntensive) => RateLimit::per_minute(20, Some(60_000)),
        // Zoom Phone APIs.
        (Phone, Plan::Free | Plan::Pro, Light) => RateLimit::per_second(20, None),
        (Phone, Plan::Free | Plan::Pro, Medium) => RateLimit::per_second(10, None),
        (Phone, Plan::Free | Plan::Pro, Heavy) => RateLimit::per_second(5, Some(15_000)),
        (Phone, Plan::Free | Plan::Pro, ResourceIntensive) => {
            RateLimit::per_minute(5, Some(15_000))
        }
        (Phone, Plan::Business, Light) => RateLimit::per_second(40, None),
        (Phone, Plan::Business, Medium) => RateLimit::per_second(20, None),
        (Phone, Plan::Business, Heavy) => RateLimit::per_second(10, Some(30_000)),
        (Phone, Plan::Business, ResourceIntensive) => RateLimit::per_minute(10, Some(30_000)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_case_insensitively_in_every_spelling() {
        assert_eq!(Category::from_label("LIGHT"), Some(Category::Light));
        assert_eq!(Category::from_label(" light "), Some(Category::Light));
        assert_eq!(Category::from_label("Medium"), Some(Category::Medium));
        assert_eq!(Category::from_label("HEAVY"), Some(Category::Heavy));
        assert_eq!(
            Category::from_label("Resource-intensive"),
            Some(Category::ResourceIntensive)
        );
        assert_eq!(
            Category::from_label("RESOURCE_INTENSIVE"),
            Some(Category::ResourceIntensive)
        );
        assert_eq!(Category::from_label("extreme"), None);
        for category in Category::ALL {
            assert_eq!(Category::from_label(category.as_str()), Some(category));
        }
    }

    #[test]
    fn table_matches_zoom_rate_limit_page() {
        let free_light = rate_limit(Plan::Free, ApiFamily::General, Category::Light);
        assert_eq!((free_light.requests, free_light.daily), (4, Some(6_000)));
        let business_medium = rate_limit(Plan::Business, ApiFamily::General, Category::Medium);
        assert_eq!(business_medium.per_second_rate(), 60.0);
        let pro_ri = rate_limit(Plan::Pro, ApiFamily::General, Category::ResourceIntensive);
        assert_eq!(pro_ri.per, Duration::from_secs(60));
        assert!((pro_ri.per_second_rate() - 10.0 / 60.0).abs() < 1e-9);
        let phone_business_light = rate_limit(Plan::Business, ApiFamily::Phone, Category::Light);
        assert_eq!(phone_business_light.requests, 40);
        let phone_pro_heavy = rate_limit(Plan::Pro, ApiFamily::Phone, Category::Heavy);
        assert_eq!(phone_pro_heavy.daily, Some(15_000));
    }
}
