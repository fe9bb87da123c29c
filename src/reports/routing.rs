//! Routing: the unit chain and the category's handler decide whose queue a report joins, and the
//! responsible staff member of the smallest unit that has one becomes its assignee.

use super::catalogue::Handler;
use crate::store::{Store, StoreError};
use crate::units::{UnitCode, UnitRef};

/// Where a report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The unit whose queue holds the report (for departments: the top unit of the chain).
    pub queue_unit: UnitCode,
    /// The responsible staff member, when one exists.
    pub assignee: Option<String>,
}

/// The units whose staff could take the report, smallest first, and the queue unit. A level
/// handler looks at the unit of its level and the units below it on the chain; a department at
/// every unit of the chain. A chain that stops above the handler's level (a fallback
/// assignment) leaves the report with its smallest unit.
pub fn candidates(chain: &[UnitRef], handler: &Handler) -> Option<(Vec<UnitCode>, UnitCode)> {
    let smallest = chain.last()?;
    let (from, queue) = match handler {
        Handler::Level(level) => match chain.iter().position(|u| u.level == *level) {
            Some(i) => (i, chain[i].code.clone()),
            None => (chain.len() - 1, smallest.code.clone()),
        },
        Handler::Department(_) => (0, chain[0].code.clone()),
    };
    let units = chain[from..].iter().rev().map(|u| u.code.clone()).collect();
    Some((units, queue))
}

/// Routes a report located on `chain`; `None` when the chain is empty (no units loaded).
pub async fn route(
    store: &dyn Store,
    chain: &[UnitRef],
    handler: &Handler,
) -> Result<Option<Route>, StoreError> {
    let Some((units, queue_unit)) = candidates(chain, handler) else {
        return Ok(None);
    };
    let department = match handler {
        Handler::Department(d) => Some(d.as_str()),
        Handler::Level(_) => None,
    };
    let staff = store
        .responsible_staff(&units, handler.role(), department)
        .await?;
    let assignee = units.iter().find_map(|unit| {
        staff
            .iter()
            .find(|(_, scope)| scope == unit)
            .map(|(username, _)| username.clone())
    });
    Ok(Some(Route {
        queue_unit,
        assignee,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Level;

    fn chain(codes: &[&str]) -> Vec<UnitRef> {
        codes
            .iter()
            .map(|c| {
                let code: UnitCode = c.parse().unwrap();
                UnitRef {
                    level: code.level(),
                    code,
                    name: String::new(),
                }
            })
            .collect()
    }

    fn codes(v: &[UnitCode]) -> Vec<&str> {
        v.iter().map(UnitCode::as_str).collect()
    }

    #[test]
    fn a_grid_handler_looks_from_the_micro_grid_up_to_the_grid() {
        let c = chain(&[
            "350203",
            "350203001",
            "350203001001",
            "350203001001001",
            "35020300100100101",
        ]);
        let (units, queue) = candidates(&c, &Handler::Level(Level::Grid)).unwrap();
        assert_eq!(codes(&units), ["35020300100100101", "350203001001001"]);
        assert_eq!(queue.as_str(), "350203001001001");
    }

    #[test]
    fn a_department_looks_along_the_whole_chain_and_queues_at_the_top() {
        let c = chain(&["350203", "350203001", "350203001001"]);
        let (units, queue) = candidates(&c, &Handler::Department("交警".into())).unwrap();
        assert_eq!(codes(&units), ["350203001001", "350203001", "350203"]);
        assert_eq!(queue.as_str(), "350203");
    }

    #[test]
    fn a_chain_above_the_handler_level_keeps_the_report_at_its_smallest_unit() {
        let c = chain(&["350203", "350203001"]);
        let (units, queue) = candidates(&c, &Handler::Level(Level::Grid)).unwrap();
        assert_eq!(codes(&units), ["350203001"]);
        assert_eq!(queue.as_str(), "350203001");
        assert!(candidates(&[], &Handler::Level(Level::Grid)).is_none());
    }
}
