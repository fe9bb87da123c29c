//! Cutting a parent outline by the half-planes of a convex cell, in plain floating point.
//!
//! geo's BooleanOps snaps coordinates to an integer grid of about 2^-29 of the inputs' extent;
//! siblings clipped separately then disagree on the parent's edges by that much, and their areas
//! no longer add up to the parent's beyond about 1e-9. Clipping by one half-plane at a time keeps
//! every parent vertex as it is and puts every new vertex on the cutting line, so siblings share
//! their edges to the last few bits.
//!
//! One half-plane: each ring is walked; the parts inside become chains from an entry point to an
//! exit point on the line. Along the line (direction `t`, inside on its left) crossings alternate
//! exit, entry, exit, entry...: each exit joins the next entry, which closes the chains into
//! counter-clockwise shells. Rings that do not cross stay whole (outer rings as shells, holes are
//! given to the shell that contains them). A vertex exactly on the line, two crossings at the
//! same place or any broken alternation is a degenerate case: the caller falls back to
//! BooleanOps.

use std::collections::HashMap;

use geo::{Coord, LineString, MultiPolygon, Polygon};

/// `{p : nx·(p.x − origin.x) + ny·(p.y − origin.y) ≤ c}`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HalfPlane {
    pub origin: Coord<f64>,
    pub nx: f64,
    pub ny: f64,
    pub c: f64,
}

impl HalfPlane {
    /// Negative inside, positive outside, zero on the line.
    pub(crate) fn value(&self, p: Coord<f64>) -> f64 {
        self.nx * (p.x - self.origin.x) + self.ny * (p.y - self.origin.y) - self.c
    }
}

/// `parent` ∩ every half-plane, or what made the case degenerate.
pub(crate) fn clip_to_half_planes(
    parent: &MultiPolygon<f64>,
    planes: &[HalfPlane],
) -> Result<MultiPolygon<f64>, &'static str> {
    let Some((first, rest)) = planes.split_first() else {
        return Ok(parent.clone());
    };
    let mut polygons = Vec::new();
    for p in &parent.0 {
        clip_polygon(p, first, &mut polygons)?;
    }
    for h in rest {
        if polygons.is_empty() {
            break;
        }
        let mut next = Vec::with_capacity(polygons.len());
        for p in &polygons {
            clip_polygon(p, h, &mut next)?;
        }
        polygons = next;
    }
    Ok(MultiPolygon(polygons))
}

struct Crossing {
    u: f64,
    exit: bool,
    chain: usize,
}

/// Appends `polygon ∩ h` to `out`, or says what made the case degenerate.
fn clip_polygon(
    polygon: &Polygon<f64>,
    h: &HalfPlane,
    out: &mut Vec<Polygon<f64>>,
) -> Result<(), &'static str> {
    let t = Coord { x: -h.ny, y: h.nx };
    let mut chains: Vec<Vec<Coord<f64>>> = Vec::new();
    let mut crossings: Vec<Crossing> = Vec::new();
    let mut whole_shell: Option<LineString<f64>> = None;
    let mut whole_holes: Vec<LineString<f64>> = Vec::new();

    for (ri, ring) in std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .enumerate()
    {
        let points = match ring.0.split_last() {
            Some((_, open)) if open.len() >= 3 => open,
            _ => continue,
        };
        let values: Vec<f64> = points.iter().map(|p| h.value(*p)).collect();
        if values.iter().any(|v| *v == 0.0 || v.is_nan()) {
            return Err("a vertex lies on the line");
        }
        let Some(start) = values.iter().position(|v| *v > 0.0) else {
            if ri == 0 {
                whole_shell = Some(ring.clone());
            } else {
                whole_holes.push(ring.clone());
            }
            continue;
        };
        if !values.iter().any(|v| *v < 0.0) {
            if ri == 0 {
                // The exterior lies wholly outside, and so do its holes.
                return Ok(());
            }
            continue;
        }
        let m = points.len();
        let mut current: Option<Vec<Coord<f64>>> = None;
        for step in 0..m {
            let i = (start + step) % m;
            let j = (i + 1) % m;
            let (fi, fj) = (values[i], values[j]);
            if fi > 0.0 && fj < 0.0 {
                let c = crossing(points[i], points[j], fi, fj);
                crossings.push(Crossing {
                    u: c.x * t.x + c.y * t.y,
                    exit: false,
                    chain: chains.len(),
                });
                current = Some(vec![c, points[j]]);
            } else if fi < 0.0 && fj > 0.0 {
                let c = crossing(points[i], points[j], fi, fj);
                let mut chain = current.take().ok_or("exit before entry")?;
                chain.push(c);
                crossings.push(Crossing {
                    u: c.x * t.x + c.y * t.y,
                    exit: true,
                    chain: chains.len(),
                });
                chains.push(chain);
            } else if fj < 0.0 {
                current
                    .as_mut()
                    .ok_or("inside vertex before any entry")?
                    .push(points[j]);
            }
        }
        if current.is_some() {
            return Err("ring ends inside");
        }
    }

    let mut shells: Vec<LineString<f64>> = Vec::new();
    if let Some(shell) = whole_shell {
        // No crossing at all: the polygon is inside as it is.
        if !chains.is_empty() {
            return Err("whole shell and crossings");
        }
        out.push(Polygon::new(shell, whole_holes));
        return Ok(());
    }
    if !chains.is_empty() {
        crossings.sort_by(|a, b| a.u.total_cmp(&b.u));
        let mut next = vec![usize::MAX; chains.len()];
        for pair in crossings.chunks(2) {
            let [exit, entry] = pair else {
                return Err("crossings do not alternate");
            };
            if !exit.exit || entry.exit || exit.u == entry.u {
                return Err("crossings do not alternate");
            }
            next[exit.chain] = entry.chain;
        }
        if crossings.windows(2).any(|w| w[0].u == w[1].u) {
            return Err("two crossings coincide");
        }
        let mut used = vec![false; chains.len()];
        for first in 0..chains.len() {
            if used[first] {
                continue;
            }
            let mut ring: Vec<Coord<f64>> = Vec::new();
            let mut c = first;
            loop {
                if used[c] || c == usize::MAX {
                    return Err("chains do not close");
                }
                used[c] = true;
                ring.extend_from_slice(&chains[c]);
                c = next[c];
                if c == first {
                    break;
                }
            }
            ring.dedup();
            if ring.first() == ring.last() {
                ring.pop();
            }
            // Where a hole touched its shell, the linked ring passes the touching point twice:
            // split it there into a shell and a hole touching it, as OGC wants.
            for mut piece in split_at_repeated_points(ring) {
                if piece.len() < 3 {
                    continue;
                }
                piece.push(piece[0]);
                let piece = LineString(piece);
                let area = signed_area2(&piece);
                if area > 0.0 {
                    shells.push(piece);
                } else if area < 0.0 {
                    whole_holes.push(piece);
                }
            }
        }
        if shells.is_empty() {
            return Err("closed chains enclose nothing");
        }
    }
    let mut holes_of: Vec<Vec<LineString<f64>>> = vec![Vec::new(); shells.len()];
    for hole in whole_holes {
        // A hole may touch its shell (at a vertex, or a vertex of the hole on an edge of the
        // shell), where the crossing test says either: the shell holding most of the hole's
        // vertices is its owner.
        let open = &hole.0[..hole.0.len() - 1];
        let (owner, votes) = shells
            .iter()
            .map(|s| open.iter().filter(|v| ring_contains(s, **v)).count())
            .enumerate()
            .max_by_key(|&(i, votes)| (votes, std::cmp::Reverse(i)))
            .ok_or("a hole but no shell")?;
        if 2 * votes <= open.len() {
            return Err("a hole lies in no shell");
        }
        holes_of[owner].push(hole);
    }
    for (shell, holes) in shells.into_iter().zip(holes_of) {
        out.push(Polygon::new(shell, holes));
    }
    Ok(())
}

/// Splits an open ring that visits a point more than once into simple loops (open rings).
fn split_at_repeated_points(ring: Vec<Coord<f64>>) -> Vec<Vec<Coord<f64>>> {
    let mut seen: HashMap<(u64, u64), usize> = HashMap::with_capacity(ring.len());
    let mut stack: Vec<Coord<f64>> = Vec::with_capacity(ring.len());
    let mut loops = Vec::new();
    for p in ring {
        let key = (p.x.to_bits(), p.y.to_bits());
        if let Some(&at) = seen.get(&key) {
            let inner: Vec<Coord<f64>> = stack.drain(at + 1..).collect();
            for q in &inner {
                seen.remove(&(q.x.to_bits(), q.y.to_bits()));
            }
            let mut closed_loop = Vec::with_capacity(inner.len() + 1);
            closed_loop.push(p);
            closed_loop.extend(inner);
            loops.push(closed_loop);
        } else {
            seen.insert(key, stack.len());
            stack.push(p);
        }
    }
    loops.push(stack);
    loops
}

fn crossing(p: Coord<f64>, q: Coord<f64>, fp: f64, fq: f64) -> Coord<f64> {
    let s = fp / (fp - fq);
    Coord {
        x: p.x + s * (q.x - p.x),
        y: p.y + s * (q.y - p.y),
    }
}

fn signed_area2(ring: &LineString<f64>) -> f64 {
    let o = ring.0[0];
    ring.0
        .windows(2)
        .map(|w| (w[0].x - o.x) * (w[1].y - o.y) - (w[1].x - o.x) * (w[0].y - o.y))
        .sum()
}

fn ring_contains(ring: &LineString<f64>, p: Coord<f64>) -> bool {
    let mut inside = false;
    for w in ring.0.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x);
            if p.x < x {
                inside = !inside;
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area, BooleanOps, Validation};

    fn half_plane_x_at_most(x: f64) -> HalfPlane {
        HalfPlane {
            origin: Coord { x: 0., y: 0. },
            nx: 1.,
            ny: 0.,
            c: x,
        }
    }

    fn u_shape_with_hole() -> MultiPolygon<f64> {
        // A U opening upwards (x 0..3, y 0..3, notch x 1..2 above y 1), and a hole in its base.
        MultiPolygon(vec![polygon!(
            exterior: [(x: 0., y: 0.), (x: 3., y: 0.), (x: 3., y: 3.), (x: 2., y: 3.), (x: 2., y: 1.),
                       (x: 1., y: 1.), (x: 1., y: 3.), (x: 0., y: 3.), (x: 0., y: 0.)],
            interiors: [[(x: 0.2, y: 0.2), (x: 0.2, y: 0.6), (x: 0.6, y: 0.6), (x: 0.6, y: 0.2), (x: 0.2, y: 0.2)]],
        )])
    }

    #[test]
    fn horizontal_cut_through_a_u_gives_two_arms() {
        let h = HalfPlane {
            origin: Coord { x: 0., y: 0. },
            nx: 0.,
            ny: -1.,
            c: -2.,
        }; // y >= 2
        let arms = clip_to_half_planes(&u_shape_with_hole(), &[h]).unwrap();
        assert_eq!(arms.0.len(), 2);
        assert!((arms.unsigned_area() - 2.0).abs() < 1e-12);
        assert!(arms.is_valid());
    }

    #[test]
    fn cuts_match_boolean_intersection_and_keep_holes() {
        let parent = u_shape_with_hole();
        for x in [0.1, 0.4, 1.5, 2.5, 2.9] {
            let left = clip_to_half_planes(&parent, &[half_plane_x_at_most(x)]).unwrap();
            let reference = parent.intersection(&polygon![
                (x: -1., y: -1.), (x: x, y: -1.), (x: x, y: 4.), (x: -1., y: 4.), (x: -1., y: -1.)
            ]);
            // BooleanOps snaps to about 2^-29 of the extent: compare at its precision.
            assert!(
                (left.unsigned_area() - reference.unsigned_area()).abs() < 1e-7,
                "x = {x}: {} vs {}",
                left.unsigned_area(),
                reference.unsigned_area()
            );
            assert!(left.is_valid(), "x = {x}: {:?}", left.validation_errors());
        }
        let whole = clip_to_half_planes(&parent, &[half_plane_x_at_most(10.)]).unwrap();
        assert_eq!(whole, parent);
        let none = clip_to_half_planes(&parent, &[half_plane_x_at_most(-1.)]).unwrap();
        assert!(none.0.is_empty());
    }

    #[test]
    fn both_sides_add_up_to_the_whole() {
        let parent = u_shape_with_hole();
        let h = HalfPlane {
            origin: Coord { x: 1.3, y: 0.7 },
            nx: 0.3,
            ny: 1.1,
            c: 0.0,
        };
        let other = HalfPlane {
            nx: -h.nx,
            ny: -h.ny,
            ..h
        };
        let a = clip_to_half_planes(&parent, &[h]).unwrap();
        let b = clip_to_half_planes(&parent, &[other]).unwrap();
        let total = a.unsigned_area() + b.unsigned_area();
        assert!((total - parent.unsigned_area()).abs() < 1e-14);
    }

    #[test]
    fn a_hole_touching_its_shell_stays_a_touching_hole_after_a_cut() {
        // square 0..4 with a triangular hole whose corner touches the bottom edge at (2, 0)
        let parent = MultiPolygon(vec![polygon!(
            exterior: [(x: 0., y: 0.), (x: 2., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 4.), (x: 0., y: 0.)],
            interiors: [[(x: 2., y: 0.), (x: 1., y: 2.), (x: 3., y: 2.), (x: 2., y: 0.)]],
        )]);
        assert!(parent.is_valid(), "{:?}", parent.validation_errors());
        // cut through the hole: the part below y = 1.5 contains the touching point
        let below = HalfPlane {
            origin: Coord { x: 0., y: 0. },
            nx: 0.,
            ny: 1.,
            c: 1.5,
        };
        let cut = clip_to_half_planes(&parent, &[below]).unwrap();
        assert!(cut.is_valid(), "{:?} {:?}", cut, cut.validation_errors());
        assert!((cut.unsigned_area() - (6.0 - 1.125)).abs() < 1e-12);
    }

    #[test]
    fn rings_visiting_a_point_twice_are_split_into_loops() {
        let c = |x: f64, y: f64| Coord { x, y };
        let ring = vec![
            c(0., 0.),
            c(2., 0.),
            c(1., 1.),
            c(2., 2.),
            c(0., 2.),
            c(1., 1.),
        ];
        let loops = split_at_repeated_points(ring);
        assert_eq!(loops.len(), 2);
        assert_eq!(loops[0], vec![c(1., 1.), c(2., 2.), c(0., 2.)]);
        assert_eq!(loops[1], vec![c(0., 0.), c(2., 0.), c(1., 1.)]);
    }

    #[test]
    fn a_vertex_on_the_line_is_left_to_the_fallback() {
        assert!(clip_to_half_planes(&u_shape_with_hole(), &[half_plane_x_at_most(1.0)]).is_err());
    }
}
