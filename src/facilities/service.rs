//! What the facility routes share: the catalogue, the walking-time estimate and the live index,
//! loaded from the store at start and kept in step with every write.

use std::sync::Arc;

use super::catalogue::FacilityCatalogue;
use super::index::{FacilityIndex, FacilityIndexCell};
use super::walking::{StraightLine, WalkingTime};
use crate::store::{Store, StoreError};

pub struct FacilityService {
    pub catalogue: FacilityCatalogue,
    pub walking: Arc<dyn WalkingTime>,
    /// What every finder answer says of the walking method, so that no client mistakes it for
    /// a route (made once: the finder answers often).
    pub walking_label: serde_json::Value,
    /// Shared with the `facilities` tile layer, which draws from it.
    pub index: Arc<FacilityIndexCell>,
}

impl FacilityService {
    /// Loads every stored facility into the index.
    pub async fn load(
        store: &dyn Store,
        catalogue: FacilityCatalogue,
        walking: StraightLine,
    ) -> Result<FacilityService, StoreError> {
        let index = FacilityIndex::build(store.facilities().await?);
        Ok(FacilityService {
            catalogue,
            walking_label: serde_json::json!({
                "method": walking.method(),
                "estimate": true,
                "parameters": walking.parameters(),
                "note": "straight-line distance × detour factor ÷ walking speed; not a route on the street network",
            }),
            walking: Arc::new(walking),
            index: Arc::new(FacilityIndexCell::new(index)),
        })
    }

    /// Rebuilds the index from the store (after an import).
    pub async fn reload(&self, store: &dyn Store) -> Result<(), StoreError> {
        self.index
            .replace(FacilityIndex::build(store.facilities().await?));
        Ok(())
    }
}
