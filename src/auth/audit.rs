//! The audit log: who did what to which object, when, from where, with the object's state
//! before and after. Entries are written by the store in the same transaction as the change
//! they record, and are never changed or deleted (the tables refuse it with triggers).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::client::ClientInfo;
use super::principal::{Credential, Principal};
use crate::store::auth::Account;

/// How the actor reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Session,
    Token,
    Cli,
    System,
    Anonymous,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Session => "session",
            Via::Token => "token",
            Via::Cli => "cli",
            Via::System => "system",
            Via::Anonymous => "anonymous",
        }
    }

    pub fn parse(s: &str) -> Option<Via> {
        [
            Via::Session,
            Via::Token,
            Via::Cli,
            Via::System,
            Via::Anonymous,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// Who is writing, for the audit entries of a write (and the `author` of unit rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditContext {
    /// The account, when a signed-in principal acts.
    pub actor_id: Option<i64>,
    /// The username, or a label such as `cli` or `demo` for writes without an account.
    pub actor: String,
    pub via: Via,
    /// The client address, for writes over HTTP.
    pub ip: Option<String>,
}

impl AuditContext {
    /// A signed-in principal acting over HTTP.
    pub fn of(principal: &Principal, client: &ClientInfo) -> AuditContext {
        AuditContext {
            actor_id: Some(principal.account_id),
            actor: principal.username.clone(),
            via: match principal.credential {
                Credential::Session { .. } => Via::Session,
                Credential::Token { .. } => Via::Token,
            },
            ip: client.ip.map(|ip| ip.to_string()),
        }
    }

    /// Someone at the command line (who has the database itself, so no account).
    pub fn cli() -> AuditContext {
        let user = std::env::var("USER").unwrap_or_default();
        AuditContext {
            actor_id: None,
            actor: if user.is_empty() {
                "cli".to_owned()
            } else {
                format!("cli:{user}")
            },
            via: Via::Cli,
            ip: None,
        }
    }

    /// The service itself (demo set-up, tests), under a label.
    pub fn system(label: &str) -> AuditContext {
        AuditContext {
            actor_id: None,
            actor: label.to_owned(),
            via: Via::System,
            ip: None,
        }
    }

    /// Someone not signed in over HTTP (failed sign-ins, and later report intake).
    pub fn anonymous(client: &ClientInfo) -> AuditContext {
        AuditContext {
            actor_id: None,
            actor: "anonymous".to_owned(),
            via: Via::Anonymous,
            ip: client.ip.map(|ip| ip.to_string()),
        }
    }
}

/// One change to record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// `unit.create`, `account.update`, `token.revoke`, `auth.login`...
    pub action: &'static str,
    /// `unit`, `account`, `token`, `report`...
    pub object_type: &'static str,
    pub object_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// One entry as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub via: Via,
    pub ip: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Which entries to read: every field narrows; newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub action: Option<String>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    /// Only entries with an id below this one (the `next` cursor of the previous page).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// The recorded state of one unit version. The geometry itself stays in the units history
/// (found by code and version); the entry keeps its digest, so a change of outline shows.
pub fn unit_state(
    version: i64,
    name: &str,
    parent: Option<&str>,
    attributes: &serde_json::Map<String, Value>,
    wkb: &[u8],
) -> Value {
    json!({
        "version": version,
        "name": name,
        "parent": parent,
        "attributes": attributes,
        "geometry_sha256": hex::encode(Sha256::digest(wkb)),
    })
}

/// The recorded state of an account: never its password hash, only whether it has one.
pub fn account_state(account: &Account) -> Value {
    json!({
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role,
        "department": account.department,
        "scopes": account.scopes,
        "disabled": account.disabled,
        "has_password": account.has_password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_state_shows_a_changed_outline_by_its_digest() {
        let attrs = serde_json::Map::new();
        let a = unit_state(1, "厦港街道", Some("350203"), &attrs, &[1, 2, 3]);
        let b = unit_state(1, "厦港街道", Some("350203"), &attrs, &[1, 2, 4]);
        assert_ne!(a["geometry_sha256"], b["geometry_sha256"]);
        assert_eq!(a["name"], "厦港街道");
        assert_eq!(a["geometry_sha256"].as_str().unwrap().len(), 64);
    }

    #[test]
    fn via_names_round_trip() {
        for v in [
            Via::Session,
            Via::Token,
            Via::Cli,
            Via::System,
            Via::Anonymous,
        ] {
            assert_eq!(Via::parse(v.as_str()), Some(v));
        }
        assert_eq!(Via::parse("root"), None);
    }
}
