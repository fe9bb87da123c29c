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
    pub index: FacilityIndexCell,
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
            walking: Arc::new(walking),
            index: FacilityIndexCell::new(index),
        })
    }

    /// Rebuilds the index from the store (after an import).
    pub async fn reload(&self, store: &dyn Store) -> Result<(), StoreError> {
        self.index
            .replace(FacilityIndex::build(store.facilities().await?));
        Ok(())
    }
}
