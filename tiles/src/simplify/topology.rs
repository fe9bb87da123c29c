//! The arcs of a set of rings: maximal vertex runs between junctions, each stored once and
//! referenced, forwards or backwards, by every ring that walks it.

use std::collections::hash_map::Entry;

use crate::fast_hash::{FastMap, FastSet};

use super::GridPoint;

/// One step of a ring along a stored arc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ArcUse {
    pub arc: usize,
    pub reversed: bool,
}

#[derive(Debug, Default)]
pub(super) struct Topology {
    junctions: FastSet<GridPoint>,
    arcs: Vec<Vec<GridPoint>>,
    arc_ids: FastMap<Vec<GridPoint>, usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Neighbourhood {
    Only(GridPoint, GridPoint),
    Junction,
}

impl Topology {
    /// Finds the junctions of `rings` (open rings: no closing point repeated). A vertex is a
    /// junction when the rings passing through it do not all have the same two neighbours there;
    /// away from junctions every ring through a vertex continues the same way, so rings that
    /// share a boundary hold the same vertex runs between junctions.
    pub fn new(rings: &[Vec<GridPoint>]) -> Self {
        let mut neighbourhoods: FastMap<GridPoint, Neighbourhood> = FastMap::default();
        for ring in rings {
            let n = ring.len();
            for (i, &p) in ring.iter().enumerate() {
                let (before, after) = (ring[(i + n - 1) % n], ring[(i + 1) % n]);
                let seen = Neighbourhood::Only(before.min(after), before.max(after));
                match neighbourhoods.entry(p) {
                    Entry::Vacant(v) => {
                        v.insert(seen);
                    }
                    Entry::Occupied(mut o) if *o.get() != seen => {
                        o.insert(Neighbourhood::Junction);
                    }
                    Entry::Occupied(_) => {}
                }
            }
        }
        let mut junctions: FastSet<GridPoint> = neighbourhoods
            .into_iter()
            .filter_map(|(p, hood)| (hood == Neighbourhood::Junction).then_some(p))
            .collect();
        // A ring without junctions is shared whole or not at all (an enclave and the hole it
        // fills); cutting it at its smallest vertex gives every copy the same start.
        for ring in rings {
            if !ring.iter().any(|p| junctions.contains(p)) {
                if let Some(&start) = ring.iter().min() {
                    junctions.insert(start);
                }
            }
        }
        Self {
            junctions,
            ..Self::default()
        }
    }

    /// Cuts an open ring at its junctions, registering each arc once.
    pub fn cut(&mut self, ring: &[GridPoint]) -> Vec<ArcUse> {
        let n = ring.len();
        let start = ring
            .iter()
            .position(|p| self.junctions.contains(p))
            .unwrap_or(0);
        let mut uses = Vec::new();
        let mut run = vec![ring[start]];
        for k in 1..=n {
            let p = ring[(start + k) % n];
            run.push(p);
            if k == n || self.junctions.contains(&p) {
                uses.push(self.register(std::mem::replace(&mut run, vec![p])));
            }
        }
        uses
    }

    fn register(&mut self, run: Vec<GridPoint>) -> ArcUse {
        let backwards: Vec<GridPoint> = run.iter().rev().copied().collect();
        let (canonical, reversed) = if backwards < run {
            (backwards, true)
        } else {
            (run, false)
        };
        let arc = match self.arc_ids.entry(canonical) {
            Entry::Occupied(o) => *o.get(),
            Entry::Vacant(v) => {
                self.arcs.push(v.key().clone());
                *v.insert(self.arcs.len() - 1)
            }
        };
        ArcUse { arc, reversed }
    }

    pub fn arcs(&self) -> &[Vec<GridPoint>] {
        &self.arcs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: i32, y0: i32, side: i32) -> Vec<GridPoint> {
        vec![
            (x0, y0),
            (x0 + side, y0),
            (x0 + side, y0 + side),
            (x0, y0 + side),
        ]
    }

    #[test]
    fn neighbours_sharing_an_edge_share_one_arc_walked_in_opposite_directions() {
        let left = square(0, 0, 10);
        let right = square(10, 0, 10);
        let mut topology = Topology::new(&[left.clone(), right.clone()]);
        let a = topology.cut(&left);
        let b = topology.cut(&right);
        let shared: Vec<(ArcUse, ArcUse)> = a
            .iter()
            .flat_map(|x| b.iter().map(move |y| (*x, *y)))
            .filter(|(x, y)| x.arc == y.arc)
            .collect();
        assert_eq!(shared.len(), 1);
        assert_ne!(shared[0].0.reversed, shared[0].1.reversed);
        assert_eq!(topology.arcs()[shared[0].0.arc], vec![(10, 0), (10, 10)]);
    }

    #[test]
    fn lone_ring_becomes_one_closed_arc_from_its_smallest_vertex() {
        let ring = vec![(5, 5), (9, 5), (0, 0)];
        let mut topology = Topology::new(std::slice::from_ref(&ring));
        let uses = topology.cut(&ring);
        assert_eq!(uses.len(), 1);
        let arc = &topology.arcs()[uses[0].arc];
        assert_eq!(arc.first(), Some(&(0, 0)));
        assert_eq!(arc.last(), Some(&(0, 0)));
    }

    #[test]
    fn enclave_and_its_hole_share_their_arc_whatever_their_start() {
        let island = vec![(1, 1), (2, 1), (2, 2), (1, 2)];
        let hole = vec![(2, 2), (2, 1), (1, 1), (1, 2)];
        let mut topology = Topology::new(&[island.clone(), hole.clone()]);
        let a = topology.cut(&island);
        let b = topology.cut(&hole);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].arc, b[0].arc);
    }
}
