//! The closed loop: which state may follow which, and which roles make each move.
//!
//! ```text
//! received ─→ dispatched ─→ accepted ─→ handled ─→ verified ─→ closed
//!    │            │  ↑          │          │ ↑
//!    │            ↓  │          ↓          ↓ │
//!    │          returned ←──────┘        reopened
//!    └──→ merged ←┘ (from received, dispatched, returned)
//! ```

use super::model::State;
use crate::auth::Role;

/// The states that may follow `from`.
pub fn next_states(from: State) -> &'static [State] {
    use State::*;
    match from {
        Received => &[Dispatched, Merged],
        Dispatched => &[Accepted, Returned, Merged],
        Returned => &[Dispatched, Merged],
        Accepted => &[Handled, Returned],
        Handled => &[Verified, Reopened],
        Reopened => &[Handled],
        Verified => &[Closed],
        Closed | Merged => &[],
    }
}

/// Whether `role` makes moves into `to`: dispatchers coordinate (dispatch, verify, reopen,
/// close, merge); whoever handles reports accepts, handles and returns them.
pub fn may_move(role: Role, to: State) -> bool {
    use State::*;
    match to {
        Dispatched | Verified | Reopened | Closed | Merged => {
            matches!(role, Role::Admin | Role::Dispatcher)
        }
        Accepted | Handled | Returned => matches!(
            role,
            Role::Admin | Role::Dispatcher | Role::GridWorker | Role::Department
        ),
        Received => false,
    }
}

/// Moves that need a reason in their note: a return (退回) and a failed verification (返工).
pub fn needs_reason(to: State) -> bool {
    matches!(to, State::Returned | State::Reopened)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_is_legal_step_by_step() {
        let path = [
            State::Received,
            State::Dispatched,
            State::Accepted,
            State::Handled,
            State::Verified,
            State::Closed,
        ];
        for w in path.windows(2) {
            assert!(next_states(w[0]).contains(&w[1]), "{} → {}", w[0], w[1]);
        }
        assert!(next_states(State::Closed).is_empty());
        assert!(!next_states(State::Received).contains(&State::Closed));
    }

    #[test]
    fn nothing_leads_back_to_received_and_merged_is_final() {
        for s in State::ALL {
            assert!(!next_states(s).contains(&State::Received));
        }
        assert!(next_states(State::Merged).is_empty());
    }

    #[test]
    fn grid_workers_handle_but_do_not_dispatch_or_close() {
        assert!(may_move(Role::GridWorker, State::Accepted));
        assert!(may_move(Role::GridWorker, State::Returned));
        assert!(!may_move(Role::GridWorker, State::Dispatched));
        assert!(!may_move(Role::GridWorker, State::Closed));
        assert!(!may_move(Role::Viewer, State::Accepted));
        assert!(may_move(Role::Dispatcher, State::Merged));
    }
}
