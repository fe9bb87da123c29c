//! Roles and what each may do. The table in [`Role::may`] is the whole role policy; where an
//! account may do it is its area scopes (see [`crate::auth::Principal::covers`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// What an account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, everywhere: accounts, tokens of anyone, the audit log, all units.
    Admin,
    /// Edits (imports) the units within its scopes.
    Planner,
    /// Handles the reports within its scopes.
    Dispatcher,
    /// Handles the reports of its own units (its scopes are its grids).
    GridWorker,
    /// Handles the reports sent to its department, within its scopes.
    Department,
    /// Reads what lies within its scopes.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Planner,
        Role::Dispatcher,
        Role::GridWorker,
        Role::Department,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Dispatcher => "dispatcher",
            Role::GridWorker => "grid_worker",
            Role::Department => "department",
            Role::Viewer => "viewer",
        }
    }

    /// Whether this role may perform `action` at all (the area is checked separately).
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Admin => true,
            Role::Planner => matches!(
                action,
                ReadUnitDetails
                    | EditUnits
                    | AssignBatch
                    | ReadHouseholds
                    | EditHouseholds
                    | EditFacilities
            ),
            Role::Dispatcher | Role::GridWorker => matches!(
                action,
                ReadUnitDetails | AssignBatch | ReadReports | HandleReports | ReadHouseholds
            ),
            Role::Department => matches!(
                action,
                ReadUnitDetails | AssignBatch | ReadReports | HandleReports
            ),
            Role::Viewer => matches!(
                action,
                ReadUnitDetails | AssignBatch | ReadReports | ReadHouseholds
            ),
        }
    }

    /// Admins act everywhere; every other role only within its scopes, so it needs at least one.
    pub fn needs_scope(self) -> bool {
        self != Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown role `{s}`: expected admin, planner, dispatcher, grid_worker, \
                     department or viewer"
                )
            })
    }
}

/// Things a signed-in principal may be allowed to do. The anonymous public may read unit
/// outlines and names, assign single points and (once intake exists) file reports: those routes
/// need no action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the free attributes of units (responsible staff, notes) besides outline and name.
    ReadUnitDetails,
    /// Import or edit units.
    EditUnits,
    /// Assign many points in one request.
    AssignBatch,
    /// Read reports and their history.
    ReadReports,
    /// Dispatch, accept, handle, return reports.
    HandleReports,
    /// Create and change accounts, and issue or revoke tokens of other accounts.
    ManageAccounts,
    /// Read the audit log.
    ReadAudit,
    /// Replace the dispatch catalogue.
    EditCatalogue,
    /// Read households (personal data, phones masked) in the area.
    ReadHouseholds,
    /// Import, change and delete households in the area.
    EditHouseholds,
    /// Create, change, delete and import facilities of the circle in the area.
    EditFacilities,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert!("root".parse::<Role>().unwrap_err().contains("unknown role"));
    }

    #[test]
    fn only_admins_manage_accounts_and_read_the_audit_log() {
        for r in Role::ALL {
            assert_eq!(r.may(Action::ManageAccounts), r == Role::Admin, "{r}");
            assert_eq!(r.may(Action::ReadAudit), r == Role::Admin, "{r}");
        }
    }

    #[test]
    fn only_admins_and_planners_edit_units() {
        let editors: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.may(Action::EditUnits))
            .collect();
        assert_eq!(editors, [Role::Admin, Role::Planner]);
    }

    #[test]
    fn report_handlers_are_dispatchers_grid_workers_and_departments() {
        let handlers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.may(Action::HandleReports))
            .collect();
        assert_eq!(
            handlers,
            [
                Role::Admin,
                Role::Dispatcher,
                Role::GridWorker,
                Role::Department
            ]
        );
        assert!(Role::Viewer.may(Action::ReadReports));
        assert!(!Role::Planner.may(Action::ReadReports));
    }

    #[test]
    fn households_are_edited_by_admins_and_planners_and_never_read_by_departments() {
        let editors: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.may(Action::EditHouseholds))
            .collect();
        assert_eq!(editors, [Role::Admin, Role::Planner]);
        let readers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.may(Action::ReadHouseholds))
            .collect();
        assert_eq!(
            readers,
            [
                Role::Admin,
                Role::Planner,
                Role::Dispatcher,
                Role::GridWorker,
                Role::Viewer
            ]
        );
    }

    #[test]
    fn every_role_but_admin_needs_a_scope() {
        for r in Role::ALL {
            assert_eq!(r.needs_scope(), r != Role::Admin);
        }
    }
}
