//! Households (personal data): the model and its tags, the natural key, phone masking, CSV import
//! (encoding detection, header mapping, row validation) and the staff-only routes.

pub mod csv_import;
pub mod model;
pub mod routes;

pub use model::{Household, HouseholdInput, Tag};
