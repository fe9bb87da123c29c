//! The fifteen-minute circle (一刻钟幸福圈): the facility category catalogue, opening hours, the
//! walking-time estimate, the in-memory facility index, the finder over it, the registry's
//! imports and routes.
pub mod catalogue;
pub mod csv_import;
pub mod finder;
pub mod hours;
pub mod import;
pub mod index;
pub mod model;
pub mod openapi;
pub mod routes;
pub mod service;
pub mod walking;

pub use catalogue::{FacilityCatalogue, FacilityCategory};
pub use hours::OpeningHours;
pub use index::{FacilityIndex, FacilityIndexCell, Hit};
pub use model::{Facility, FacilityInput};
pub use service::FacilityService;
pub use walking::{Estimate, StraightLine, WalkingTime};
