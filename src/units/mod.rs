//! The hierarchy of governance units: codes, the unit model, GeoJSON import/export and routes.
pub mod code;
pub mod geojson;
pub mod import;
pub mod model;
pub mod routes;

pub use code::{Level, UnitCode};
pub use model::{Unit, UnitDraft, UnitRef};
