//! Coverage of the fifteen-minute circle (staff): which households reach each element within
//! its target, by unit and by H3 cell, the area out of reach, and where a new facility would
//! help most. The analysis is computed on first use and then kept up to date incrementally.
pub mod analysis;
pub mod areas;
pub mod openapi;
pub mod routes;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use analysis::{Coverage, Population};

use crate::facilities::Facility;
use crate::store::StoreError;
use crate::AppState;

/// The current analysis, `None` until first asked for.
#[derive(Default)]
pub struct CoverageCell {
    current: tokio::sync::Mutex<Option<Arc<Coverage>>>,
    /// Households were written since the analysis was made.
    households_changed: AtomicBool,
}

impl CoverageCell {
    /// The analysis, made or brought up to date with the households first when needed.
    pub async fn get(&self, state: &AppState) -> Result<Arc<Coverage>, StoreError> {
        {
            let current = self.current.lock().await;
            if let Some(c) = current.as_ref() {
                if !self.households_changed.load(Ordering::Acquire) {
                    return Ok(c.clone());
                }
            }
        }
        // Facility writes update the analysis under the writer lock: hold it so that none
        // lands between reading the index and publishing what was computed from it.
        let _writer = state.writer.lock().await;
        let mut current = self.current.lock().await;
        let stale = self.households_changed.swap(false, Ordering::AcqRel);
        if let (Some(c), false) = (current.as_ref(), stale) {
            return Ok(c.clone());
        }
        let households = state.store.household_locations().await?;
        let previous = current.clone();
        let service = state.facilities.clone();
        let next = tokio::task::spawn_blocking(move || {
            let population = Arc::new(Population::new(households));
            let index = service.index.load();
            let walking = service.walking.as_ref();
            match previous {
                Some(p) => {
                    let (next, computed) =
                        p.after_household_change(population, &index, &service.catalogue, walking);
                    tracing::info!(computed, "coverage brought up to date with households");
                    next
                }
                None => Coverage::compute(population, &index, &service.catalogue, walking),
            }
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("coverage computation panicked: {e}")))?;
        let next = Arc::new(next);
        *current = Some(next.clone());
        Ok(next)
    }

    /// Marks the analysis as behind the households (an import or delete was committed).
    pub fn households_written(&self) {
        self.households_changed.store(true, Ordering::Release);
    }

    /// Brings the analysis up to date with facility writes (`(before, after)` each); call it
    /// with the writer lock held, after the facility index was swapped.
    pub async fn facilities_written(
        &self,
        state: &AppState,
        changes: &[(Option<Facility>, Option<Facility>)],
    ) {
        let mut current = self.current.lock().await;
        if let Some(c) = current.as_ref() {
            let service = &state.facilities;
            let next = c.after_facility_writes(
                changes.iter().map(|(b, a)| (b.as_ref(), a.as_ref())),
                &service.index.load(),
                &service.catalogue,
                service.walking.as_ref(),
            );
            *current = Some(Arc::new(next));
        }
    }
}
