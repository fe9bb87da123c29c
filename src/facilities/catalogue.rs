//! The facility category catalogue: the ten elements of the fifteen-minute circle (一刻钟幸福圈)
//! with their walking-time targets. It is data: `geodata/facility-categories.json`.
//!
//! Targets follow the life-circle levels of GB 50180-2018 (《城市居住区规划设计标准》): facilities
//! of the 15-minute level (community health centre, middle school, nursing home, culture centre,
//! street service centre), of the 10-minute level (primary school, fresh market, mid-size sports
//! ground) and of the 5-minute level (kindergarten, nursery, health station, day care, convenience
//! shop, culture station, outdoor fitness). A kind's own target overrides its category's.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// The catalogue shipped with the service, loaded into an empty store.
pub const DEFAULT_CATEGORIES: &str = include_str!("../../geodata/facility-categories.json");

/// Most categories a catalogue may have: the coverage analysis keeps one bit per category.
pub const MAX_CATEGORIES: usize = 16;

/// Longest walking-time target and query the service accepts, in minutes.
pub const MAX_MINUTES: f64 = 120.0;

/// A finer kind within a category, e.g. kindergarten 幼儿园 within education 学.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub target_minutes: f64,
}

/// One element of the circle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilityCategory {
    /// Stable code, e.g. `medical`.
    pub code: String,
    /// The element's character(s) in the circle's slogan: 医, 养, 学, 托, 游, 食, 购, 文体, 服务, 行.
    pub element: String,
    pub name_zh: String,
    pub name_en: String,
    /// Walking minutes within which a resident should find one facility of this category.
    pub target_minutes: f64,
    #[serde(default)]
    pub kinds: Vec<Kind>,
}

impl FacilityCategory {
    /// The target of a kind of this category, or the category's own when the kind is absent
    /// or not listed.
    pub fn target_for(&self, kind: Option<&str>) -> f64 {
        kind.and_then(|k| self.kinds.iter().find(|x| x.code == k))
            .map_or(self.target_minutes, |k| k.target_minutes)
    }

    /// The longest target of the category or any of its kinds: nothing further can count.
    pub fn widest_target(&self) -> f64 {
        self.kinds
            .iter()
            .map(|k| k.target_minutes)
            .fold(self.target_minutes, f64::max)
    }
}

/// The catalogue document: `{"categories": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilityCatalogue {
    pub categories: Vec<FacilityCategory>,
}

impl FacilityCatalogue {
    /// The catalogue shipped in `geodata/facility-categories.json`.
    pub fn default_catalogue() -> FacilityCatalogue {
        serde_json::from_str(DEFAULT_CATEGORIES).expect("the shipped facility catalogue parses")
    }

    pub fn get(&self, code: &str) -> Option<&FacilityCategory> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// Every problem of the document, each naming its category or kind; empty when usable.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.categories.is_empty() {
            problems.push("the catalogue has no categories".to_owned());
        }
        if self.categories.len() > MAX_CATEGORIES {
            problems.push(format!(
                "the catalogue has {} categories; the coverage analysis tells at most \
                 {MAX_CATEGORIES} apart",
                self.categories.len()
            ));
        }
        let mut seen = HashSet::new();
        for (i, c) in self.categories.iter().enumerate() {
            let at = format!("category {i} (`{}`)", c.code);
            check_entry(
                &at,
                &c.code,
                &c.name_zh,
                &c.name_en,
                c.target_minutes,
                &mut problems,
            );
            if !seen.insert(c.code.as_str()) {
                problems.push(format!("{at}: code appears twice"));
            }
            let mut kinds = HashSet::new();
            for (j, k) in c.kinds.iter().enumerate() {
                let at = format!("{at}, kind {j} (`{}`)", k.code);
                check_entry(
                    &at,
                    &k.code,
                    &k.name_zh,
                    &k.name_en,
                    k.target_minutes,
                    &mut problems,
                );
                if !kinds.insert(k.code.as_str()) {
                    problems.push(format!("{at}: code appears twice in its category"));
                }
            }
        }
        problems
    }
}

/// Reads and checks a catalogue file (the `--facility-catalogue` option); `Err` names the file
/// and every problem.
pub fn read_catalogue_file(path: &str) -> Result<FacilityCatalogue, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let catalogue: FacilityCatalogue =
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let problems = catalogue.problems();
    if problems.is_empty() {
        Ok(catalogue)
    } else {
        Err(format!("{path}: {}", problems.join("; ")))
    }
}

fn check_entry(
    at: &str,
    code: &str,
    name_zh: &str,
    name_en: &str,
    minutes: f64,
    problems: &mut Vec<String>,
) {
    if !crate::reports::catalogue::is_catalogue_code(code) {
        problems.push(format!("{at}: code must be 1-64 of a-z, 0-9 and _"));
    }
    if name_zh.trim().is_empty() || name_en.trim().is_empty() {
        problems.push(format!("{at}: name_zh and name_en must not be empty"));
    }
    if !(minutes > 0.0 && minutes <= MAX_MINUTES) {
        problems.push(format!(
            "{at}: target_minutes must be above 0 and at most {MAX_MINUTES}"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalogue_has_the_ten_elements_and_no_problems() {
        let cat = FacilityCatalogue::default_catalogue();
        assert_eq!(cat.problems(), Vec::<String>::new());
        let elements: Vec<&str> = cat.categories.iter().map(|c| c.element.as_str()).collect();
        assert_eq!(
            elements,
            ["医", "养", "学", "托", "游", "食", "购", "文体", "服务", "行"]
        );
    }

    #[test]
    fn kindergarten_and_convenience_shop_have_the_five_minute_target() {
        let cat = FacilityCatalogue::default_catalogue();
        let education = cat.get("education").unwrap();
        assert_eq!(education.target_for(Some("kindergarten")), 5.0);
        assert_eq!(education.target_for(None), 15.0);
        assert_eq!(education.target_for(Some("unlisted")), 15.0);
        let shopping = cat.get("shopping").unwrap();
        assert_eq!(shopping.target_for(Some("convenience_shop")), 5.0);
    }

    #[test]
    fn a_catalogue_of_more_than_sixteen_categories_is_refused() {
        let mut cat = FacilityCatalogue::default_catalogue();
        for i in 0..7 {
            let mut extra = cat.categories[0].clone();
            extra.code = format!("extra_{i}");
            cat.categories.push(extra);
        }
        let problems = cat.problems();
        assert!(
            problems.iter().any(|p| p.contains("17 categories")),
            "{problems:?}"
        );
    }

    #[test]
    fn duplicate_codes_and_bad_targets_are_problems() {
        let mut cat = FacilityCatalogue::default_catalogue();
        let first = cat.categories[0].clone();
        cat.categories.push(first);
        cat.categories[1].target_minutes = 0.0;
        cat.categories[2].kinds[0].target_minutes = 121.0;
        let problems = cat.problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("target_minutes"), "{problems:?}");
        assert!(
            problems[1].contains("kind 0 (`kindergarten`)"),
            "{problems:?}"
        );
        assert!(problems[2].contains("appears twice"), "{problems:?}");
    }
}
