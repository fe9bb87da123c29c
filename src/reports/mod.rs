//! Geotagged reports: the model and its closed loop, the dispatch catalogue, routing to units and staff, working-time deadlines and escalation, intake (native and Open311 GeoReport v2), evaluation, indicators and the report routes.
pub mod catalogue;
pub mod deadline;
pub mod escalation;
pub mod intake;
pub mod intake_writer;
pub mod model;
pub mod notifications;
pub mod open311;
pub mod routes;
pub mod routing;
pub mod stats;
pub mod views;
pub mod workflow;
pub mod xml;

pub use catalogue::{Category, Handler};
pub use model::{Channel, Evaluation, Rating, Report, ReportEvent, State};
