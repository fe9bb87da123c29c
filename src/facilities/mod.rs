//! The fifteen-minute circle (一刻钟幸福圈): the facility category catalogue, opening hours, the
//! walking-time estimate, the in-memory facility index and the finder over it.
pub mod catalogue;
pub mod finder;
pub mod hours;
pub mod index;
pub mod model;
pub mod walking;

pub use catalogue::{FacilityCatalogue, FacilityCategory};
pub use hours::OpeningHours;
pub use index::{FacilityIndex, FacilityIndexCell, Hit};
pub use model::Facility;
pub use walking::{Estimate, StraightLine, WalkingTime};
