//! Geometry for the hierarchy: the snapshot and its point assignment, coordinate systems, and
//! validation and repair of imported polygons.
pub mod crs;
pub mod locator;
pub mod prepared;
pub mod repair;
pub mod routes;
pub mod snapshot;
pub mod validate;

pub use crs::{Crs, Wgs84};
pub use prepared::Bbox;
pub use snapshot::{AssignRules, Assignment, Match, Snapshot, SnapshotCell};
