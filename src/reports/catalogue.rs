//! The dispatch catalogue: which categories exist and who handles each (a level of the hierarchy
//! or a functional department), with accept and handle deadlines in working hours. It is data:
//! `geodata/dispatch-catalogue.json` seeds the store on first start; admins edit it over the API.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::units::Level;

/// The catalogue shipped with the service, loaded into an empty store.
pub const DEFAULT_CATALOGUE: &str = include_str!("../../geodata/dispatch-catalogue.json");

/// Who handles a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Handler {
    /// The unit of this level containing the report (grid workers at grid and micro-grid level,
    /// dispatchers above).
    Level(Level),
    /// A functional department (市场监管, 交警...), by its name as accounts carry it.
    Department(String),
}

impl Handler {
    /// The role of the accounts that are responsible staff for this handler.
    pub fn role(&self) -> Role {
        match self {
            Handler::Level(Level::Grid | Level::MicroGrid) => Role::GridWorker,
            Handler::Level(_) => Role::Dispatcher,
            Handler::Department(_) => Role::Department,
        }
    }
}

/// One category of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable code, e.g. `noise`; Open311 `service_code`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub handler: Handler,
    /// Working hours from intake to acceptance.
    pub accept_hours: f64,
    /// Working hours from intake to handling.
    pub handle_hours: f64,
}

/// The catalogue document: `{"categories": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub categories: Vec<Category>,
}

impl Catalogue {
    pub fn get(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// Every problem of the document, each naming its category; empty when it is usable.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.categories.is_empty() {
            problems.push("the catalogue has no categories".to_owned());
        }
        let mut seen = HashSet::new();
        for (i, c) in self.categories.iter().enumerate() {
            let at = format!("category {i} (`{}`)", c.code);
            if !is_catalogue_code(&c.code) {
                problems.push(format!("{at}: code must be 1-64 of a-z, 0-9 and _"));
            }
            if !seen.insert(c.code.as_str()) {
                problems.push(format!("{at}: code appears more than once"));
            }
            if c.name_zh.trim().is_empty() || c.name_en.trim().is_empty() {
                problems.push(format!("{at}: name_zh and name_en are required"));
            }
            if let Handler::Department(d) = &c.handler {
                if d.trim().is_empty() {
                    problems.push(format!("{at}: the department needs a name"));
                }
            }
            let hours_ok = |h: f64| h.is_finite() && h > 0.0 && h <= 24.0 * 365.0;
            if !hours_ok(c.accept_hours) || !hours_ok(c.handle_hours) {
                problems.push(format!(
                    "{at}: accept_hours and handle_hours must be positive and at most a year"
                ));
            } else if c.accept_hours > c.handle_hours {
                problems.push(format!("{at}: accept_hours exceeds handle_hours"));
            }
        }
        problems
    }

    /// The shipped default.
    pub fn default_catalogue() -> Catalogue {
        serde_json::from_str(DEFAULT_CATALOGUE)
            .expect("geodata/dispatch-catalogue.json is a valid catalogue")
    }
}

/// A category code of a catalogue (reports or facilities): 1-64 of a-z, 0-9 and `_`.
pub fn is_catalogue_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Loads the shipped catalogue into a store that has none yet (first start).
pub async fn seed(store: &dyn crate::store::Store) -> Result<bool, crate::store::StoreError> {
    store
        .seed_catalogue(
            &Catalogue::default_catalogue().categories,
            &crate::auth::AuditContext::system("seed"),
            chrono::Utc::now(),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogue_is_valid_and_routes_the_usual_cases() {
        let c = Catalogue::default_catalogue();
        assert_eq!(c.problems(), Vec::<String>::new());
        assert_eq!(c.get("noise").unwrap().handler, Handler::Level(Level::Grid));
        assert_eq!(
            c.get("property_dispute").unwrap().handler,
            Handler::Level(Level::Community)
        );
        assert!(matches!(
            c.get("food_hygiene").unwrap().handler,
            Handler::Department(_)
        ));
        assert!(matches!(
            c.get("traffic_safety").unwrap().handler,
            Handler::Department(_)
        ));
    }

    #[test]
    fn problems_name_the_category() {
        let mut c = Catalogue::default_catalogue();
        c.categories[1].code = c.categories[0].code.clone();
        c.categories[2].accept_hours = -1.0;
        let p = c.problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("more than once"));
        assert!(p[1].contains("accept_hours"));
    }

    #[test]
    fn handlers_name_their_role() {
        assert_eq!(Handler::Level(Level::MicroGrid).role(), Role::GridWorker);
        assert_eq!(Handler::Level(Level::Street).role(), Role::Dispatcher);
        assert_eq!(Handler::Department("交警".into()).role(), Role::Department);
    }
}
