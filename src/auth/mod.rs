//! Access control: accounts, roles and area scopes, sign-in (sessions and API tokens) resolved to
//! one `Principal`, the append-only audit log, rate limits, and the security headers and CORS
//! policy every response leaves with.

pub mod accounts;
pub mod audit;
pub mod client;
pub mod headers;
pub mod password;
pub mod principal;
pub mod rate_limit;
pub mod roles;
pub mod routes;
pub mod sessions;
pub mod signin;
pub mod tokens;

pub use audit::{AuditContext, Via};
pub use principal::{Credential, Principal};
pub use roles::{Action, Role};
