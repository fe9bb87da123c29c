use std::collections::HashMap;
use std::f64::consts::PI;

use geo::{Area, BooleanOps, MapCoords};
use geo_types::{coord, polygon, Coord, LineString, MultiPolygon, Polygon};

use super::*;

/// Reproducible pseudo-random numbers for irregular test shapes.
struct Noise(u64);

impl Noise {
    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        lo + (hi - lo) * ((self.0 >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// A polyline from `a` to `b` (both included) with `inner` vertices between them, bent
/// sideways by `bend(t)` plus noise, both fading out towards the ends.
fn bent_edge(
    a: Coord<f64>,
    b: Coord<f64>,
    inner: usize,
    bend: impl Fn(f64) -> f64,
    noise: f64,
    rng: &mut Noise,
) -> Vec<Coord<f64>> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let length = dx.hypot(dy);
    let normal = coord! { x: -dy / length, y: dx / length };
    let mut points = vec![a];
    for k in 1..=inner {
        let t = k as f64 / (inner + 1) as f64;
        let offset = (PI * t).sin() * (bend(t) + rng.between(-noise, noise));
        points.push(
            coord! { x: a.x + t * dx + offset * normal.x, y: a.y + t * dy + offset * normal.y },
        );
    }
    points.push(b);
    points
}

fn ring_from_edges(edges: &[Vec<Coord<f64>>]) -> LineString<f64> {
    let mut points = edges[0].clone();
    for edge in &edges[1..] {
        points.extend(edge.iter().skip(1));
    }
    LineString::new(points)
}

fn reversed(edge: &[Coord<f64>]) -> Vec<Coord<f64>> {
    edge.iter().rev().copied().collect()
}

fn to_f64(polygons: &MultiPolygon<i32>) -> MultiPolygon<f64> {
    polygons.map_coords(|c| coord! { x: f64::from(c.x), y: f64::from(c.y) })
}

fn sum_of_areas(features: &[MultiPolygon<i32>]) -> f64 {
    features.iter().map(|f| to_f64(f).unsigned_area()).sum()
}

fn union_of(features: &[MultiPolygon<i32>]) -> MultiPolygon<f64> {
    features
        .iter()
        .map(to_f64)
        .fold(MultiPolygon::new(vec![]), |acc, f| acc.union(&f))
}

fn open_ring(ring: &LineString<i32>) -> Vec<GridPoint> {
    let mut points: Vec<GridPoint> = ring.0.iter().map(|c| (c.x, c.y)).collect();
    points.pop();
    points
}

/// The vertices met walking `ring` forwards from `from` to `to`, both included.
fn path_between(ring: &LineString<i32>, from: GridPoint, to: GridPoint) -> Vec<GridPoint> {
    let points = open_ring(ring);
    let start = points
        .iter()
        .position(|&p| p == from)
        .unwrap_or_else(|| panic!("{from:?} is not a vertex of the ring"));
    let mut path = vec![from];
    for k in 1..=points.len() {
        let p = points[(start + k) % points.len()];
        path.push(p);
        if p == to {
            return path;
        }
    }
    panic!("{to:?} is not a vertex of the ring");
}

fn directed_edges(features: &[MultiPolygon<i32>]) -> HashMap<(GridPoint, GridPoint), usize> {
    let mut edges = HashMap::new();
    for polygon in features.iter().flat_map(|f| f.iter()) {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            for line in ring.lines() {
                let edge = ((line.start.x, line.start.y), (line.end.x, line.end.y));
                *edges.entry(edge).or_insert(0) += 1;
            }
        }
    }
    edges
}

fn is_rotation_of(a: &[GridPoint], b: &[GridPoint]) -> bool {
    a.len() == b.len()
        && (0..a.len()).any(|shift| (0..a.len()).all(|i| a[i] == b[(i + shift) % b.len()]))
}

fn vertex_count(features: &[MultiPolygon<f64>]) -> usize {
    features
        .iter()
        .flat_map(|f| f.iter())
        .map(|p| p.exterior().0.len())
        .sum()
}

fn grid_vertex_count(features: &[MultiPolygon<i32>]) -> usize {
    features
        .iter()
        .flat_map(|f| f.iter())
        .map(|p| p.exterior().0.len())
        .sum()
}

#[test]
fn two_squares_keep_the_same_simplified_shared_edge() {
    let mut rng = Noise(7);
    // The shared edge runs from (1000, 0) down to (1000, 1000) with a 100-unit tent in the middle
    // and sub-tolerance noise everywhere else.
    let tent = |t: f64| 100.0 * (1.0 - (t - 0.5).abs() / 0.1).max(0.0);
    let shared = bent_edge(
        coord! { x: 1000.0, y: 0.0 },
        coord! { x: 1000.0, y: 1000.0 },
        99,
        tent,
        4.0,
        &mut rng,
    );
    let left = Polygon::new(
        ring_from_edges(&[
            vec![coord! { x: 0.0, y: 0.0 }, coord! { x: 1000.0, y: 0.0 }],
            shared.clone(),
            vec![
                coord! { x: 1000.0, y: 1000.0 },
                coord! { x: 0.0, y: 1000.0 },
                coord! { x: 0.0, y: 0.0 },
            ],
        ]),
        vec![],
    );
    let right = Polygon::new(
        ring_from_edges(&[
            vec![
                coord! { x: 1000.0, y: 0.0 },
                coord! { x: 2000.0, y: 0.0 },
                coord! { x: 2000.0, y: 1000.0 },
                coord! { x: 1000.0, y: 1000.0 },
            ],
            reversed(&shared),
        ]),
        vec![],
    );
    let input = [
        MultiPolygon::new(vec![left]),
        MultiPolygon::new(vec![right]),
    ];

    let out = simplify_shared(&input, 16.0);

    let (top, bottom) = ((1000, 0), (1000, 1000));
    let left_side = path_between(out[0].0[0].exterior(), top, bottom);
    let mut right_side = path_between(out[1].0[0].exterior(), bottom, top);
    right_side.reverse();
    assert_eq!(left_side, right_side);
    assert!(left_side.len() >= 3, "the tent survives: {left_side:?}");
    assert!(left_side.len() < 10, "the noise is gone: {left_side:?}");

    let union = union_of(&out);
    assert!((sum_of_areas(&out) - union.unsigned_area()).abs() < 1e-6);
    assert_eq!(union.0.len(), 1);
    assert!(union.0[0].interiors().is_empty());
    assert!((union.unsigned_area() - 2_000_000.0).abs() < 1e-6);
}

const SIDE: f64 = 3000.0;

/// Where the cells of each of the three rows of a partition of `[0, 3000]²` are divided.
type Layout = [[f64; 4]; 3];

/// Four-way corners everywhere.
const GRID: Layout = [[0.0, 1000.0, 2000.0, 3000.0]; 3];

/// The middle row is offset, so every inner corner is a T-junction that one of its three cells
/// passes straight through: per-polygon simplification drops such vertices on one side only.
const BRICKS: Layout = [
    [0.0, 1000.0, 2000.0, 3000.0],
    [0.0, 500.0, 1500.0, 3000.0],
    [0.0, 1000.0, 2000.0, 3000.0],
];

/// Nine adjacent polygons: rows separated by bent polylines, cells within a row by bent
/// polylines, every inner edge carrying ~80 vertices shared vertex for vertex by the cells on
/// either side; the outer edges are straight with many collinear vertices. Each ring starts in
/// the middle of one of its edges.
struct Partition {
    layout: Layout,
    /// `nodes[line][x]`: the corner on row line `line` (0 = top) at nominal abscissa `x`.
    nodes: Vec<HashMap<i64, Coord<f64>>>,
    /// Row by row, west to east.
    cells: Vec<MultiPolygon<f64>>,
}

fn line_xs(layout: &Layout, line: usize) -> Vec<f64> {
    let mut xs: Vec<f64> = Vec::new();
    if line > 0 {
        xs.extend(layout[line - 1]);
    }
    if line < 3 {
        xs.extend(layout[line]);
    }
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    xs
}

impl Partition {
    fn new(layout: Layout, seed: u64) -> Self {
        let mut rng = Noise(seed);
        let nodes: Vec<HashMap<i64, Coord<f64>>> = (0..=3)
            .map(|line| {
                line_xs(&layout, line)
                    .into_iter()
                    .map(|x| {
                        let inner_x = x > 0.0 && x < SIDE;
                        let inner_y = line > 0 && line < 3;
                        let dx = if inner_x {
                            rng.between(-100.0, 100.0)
                        } else {
                            0.0
                        };
                        let dy = if inner_y {
                            rng.between(-100.0, 100.0)
                        } else {
                            0.0
                        };
                        (x as i64, coord! { x: x + dx, y: line as f64 * 1000.0 + dy })
                    })
                    .collect()
            })
            .collect();
        let edge = |a: Coord<f64>, b: Coord<f64>, outer: bool, rng: &mut Noise| {
            if outer {
                bent_edge(a, b, 30, |_| 0.0, 0.0, rng)
            } else {
                let phase = rng.between(0.0, 2.0 * PI);
                bent_edge(
                    a,
                    b,
                    80,
                    move |t| 60.0 * (3.0 * PI * t + phase).sin(),
                    12.0,
                    rng,
                )
            }
        };
        // Each row line as one polyline from west to east through all its corners.
        let lines: Vec<Vec<Coord<f64>>> = (0..=3)
            .map(|line| {
                let xs = line_xs(&layout, line);
                let mut points = vec![nodes[line][&0]];
                for pair in xs.windows(2) {
                    let (a, b) = (
                        nodes[line][&(pair[0] as i64)],
                        nodes[line][&(pair[1] as i64)],
                    );
                    points.extend(
                        edge(a, b, line == 0 || line == 3, &mut rng)
                            .into_iter()
                            .skip(1),
                    );
                }
                points
            })
            .collect();
        let stretch = |line: usize, from: f64, to: f64| -> Vec<Coord<f64>> {
            let (a, b) = (nodes[line][&(from as i64)], nodes[line][&(to as i64)]);
            let points = &lines[line];
            let i = points.iter().position(|&p| p == a).unwrap_or_default();
            let j = points.iter().position(|&p| p == b).unwrap_or_default();
            points[i..=j].to_vec()
        };
        let mut cells = Vec::new();
        for (row, xs) in layout.iter().enumerate() {
            let dividers: Vec<Vec<Coord<f64>>> = xs
                .iter()
                .map(|&x| {
                    let (a, b) = (nodes[row][&(x as i64)], nodes[row + 1][&(x as i64)]);
                    edge(a, b, x == 0.0 || x == SIDE, &mut rng)
                })
                .collect();
            for k in 0..3 {
                let mut ring = ring_from_edges(&[
                    stretch(row, xs[k], xs[k + 1]),
                    dividers[k + 1].clone(),
                    reversed(&stretch(row + 1, xs[k], xs[k + 1])),
                    reversed(&dividers[k]),
                ]);
                ring.0.pop();
                let start = (rng.between(0.0, 1.0) * ring.0.len() as f64) as usize;
                ring.0.rotate_left(start);
                ring.close();
                cells.push(MultiPolygon::new(vec![Polygon::new(ring, vec![])]));
            }
        }
        Self {
            layout,
            nodes,
            cells,
        }
    }

    fn node(&self, line: usize, x: f64) -> GridPoint {
        let c = self.nodes[line][&(x as i64)];
        (c.x.round() as i32, c.y.round() as i32)
    }
}

/// No overlap (sum of areas equals the area of the union), no gap (the union is the whole
/// square, one polygon without holes), and every inner edge is walked by exactly two rings in
/// opposite directions.
fn assert_still_a_partition(out: &[MultiPolygon<i32>], context: &str) {
    let union = union_of(out);
    let sum = sum_of_areas(out);
    assert!(
        (sum - union.unsigned_area()).abs() < 1e-6,
        "{context}: overlap, sum {sum}, union {}",
        union.unsigned_area()
    );
    assert!(
        (union.unsigned_area() - SIDE * SIDE).abs() < 1e-6,
        "{context}: gap, union {}",
        union.unsigned_area()
    );
    assert_eq!(union.0.len(), 1, "{context}");
    assert!(
        union.0[0].interiors().is_empty(),
        "{context}: a gap inside the partition"
    );
    let edges = directed_edges(out);
    let on_border = |(x, y): GridPoint| x == 0 || y == 0 || x == 3000 || y == 3000;
    for (&(a, b), &count) in &edges {
        assert_eq!(
            count, 1,
            "{context}: edge {a:?} -> {b:?} used {count} times"
        );
        if !edges.contains_key(&(b, a)) {
            let along_border = on_border(a) && on_border(b) && (a.0 == b.0 || a.1 == b.1);
            assert!(
                along_border,
                "{context}: unshared inner edge {a:?} -> {b:?}"
            );
        }
    }
}

/// The two cells either side of every inner edge hold literally the same vertex sequence.
fn assert_shared_sequences(partition: &Partition, out: &[MultiPolygon<i32>], context: &str) {
    let ring = |row: usize, k: usize| out[row * 3 + k].0[0].exterior();
    let layout = &partition.layout;
    for (row, xs) in layout.iter().enumerate() {
        for k in 0..2 {
            let x = xs[k + 1];
            let (top, bottom) = (partition.node(row, x), partition.node(row + 1, x));
            let west = path_between(ring(row, k), top, bottom);
            let mut east = path_between(ring(row, k + 1), bottom, top);
            east.reverse();
            assert_eq!(west, east, "{context}: cells {row}/{k} and {row}/{}", k + 1);
            assert!(west.len() > 2, "{context}: the bends survive at one pixel");
        }
    }
    for row in 0..2 {
        for k in 0..3 {
            for m in 0..3 {
                let lo = layout[row][k].max(layout[row + 1][m]);
                let hi = layout[row][k + 1].min(layout[row + 1][m + 1]);
                if lo >= hi {
                    continue;
                }
                let (west, east) = (partition.node(row + 1, lo), partition.node(row + 1, hi));
                let mut above = path_between(ring(row, k), east, west);
                above.reverse();
                let below = path_between(ring(row + 1, m), west, east);
                assert_eq!(
                    above,
                    below,
                    "{context}: cells {row}/{k} and {}/{m}",
                    row + 1
                );
            }
        }
    }
}

#[test]
fn irregular_3x3_partition_stays_gap_and_overlap_free() {
    for (name, layout) in [("grid", GRID), ("bricks", BRICKS)] {
        for seed in 1..=8 {
            let context = format!("{name} seed {seed}");
            let partition = Partition::new(layout, seed);
            let input = &partition.cells;
            let input_union = input
                .iter()
                .fold(MultiPolygon::new(vec![]), |acc, f| acc.union(f));
            let input_sum: f64 = input.iter().map(|f| f.unsigned_area()).sum();
            // Float input: i_overlay itself is only exact to about 1e-9.
            let fixture_ok = (input_sum - input_union.unsigned_area()).abs() < 1e-8 * input_sum;
            assert!(
                fixture_ok,
                "{context}: fixture overlaps itself: {input_sum} vs {}",
                input_union.unsigned_area()
            );

            let out = simplify_shared(input, 16.0);

            assert_eq!(out.len(), 9);
            assert!(
                out.iter().all(|f| f.0.len() == 1),
                "{context}: a cell vanished"
            );
            let (before, after) = (vertex_count(input), grid_vertex_count(&out));
            assert!(
                after * 4 < before,
                "{context}: only {before} -> {after} vertices"
            );
            assert_still_a_partition(&out, &context);
            assert_shared_sequences(&partition, &out, &context);
        }
    }
}

#[test]
fn simplifying_cells_one_by_one_would_break_the_partition() {
    // The contrast that shows the partition test has teeth: geo's per-polygon Douglas–Peucker
    // on the same input leaves gaps and overlaps.
    use geo::Simplify;
    let partition = Partition::new(BRICKS, 1);
    let independent: Vec<MultiPolygon<i32>> = partition
        .cells
        .iter()
        .map(|cell| {
            cell.simplify(16.0)
                .map_coords(|c| coord! { x: c.x.round() as i32, y: c.y.round() as i32 })
        })
        .collect();
    let union = union_of(&independent);
    let overlap = sum_of_areas(&independent) - union.unsigned_area();
    let gap = SIDE * SIDE - union.unsigned_area();
    assert!(overlap > 1.0 && gap > 1.0, "overlap {overlap}, gap {gap}");
}

#[test]
fn enclave_and_the_hole_it_fills_stay_identical() {
    let mut rng = Noise(11);
    let hole: Vec<Coord<f64>> = (0..200)
        .map(|k| {
            let a = 2.0 * PI * k as f64 / 200.0;
            let r = 800.0 + 90.0 * (5.0 * a).sin() + rng.between(-10.0, 10.0);
            coord! { x: 1500.0 + r * a.cos(), y: 1500.0 + r * a.sin() }
        })
        .collect();
    let mut island = reversed(&hole);
    island.rotate_left(37);
    let mut hole_ring = LineString::new(hole);
    hole_ring.close();
    let mut island_ring = LineString::new(island);
    island_ring.close();
    let outer = polygon![(x: 0.0, y: 0.0), (x: 3000.0, y: 0.0), (x: 3000.0, y: 3000.0), (x: 0.0, y: 3000.0)];
    let holed = Polygon::new(outer.exterior().clone(), vec![hole_ring]);
    let input = [
        MultiPolygon::new(vec![holed]),
        MultiPolygon::new(vec![Polygon::new(island_ring, vec![])]),
    ];

    let out = simplify_shared(&input, 16.0);

    let hole_out = open_ring(&out[0].0[0].interiors()[0]);
    let mut island_out = open_ring(out[1].0[0].exterior());
    assert!(
        hole_out.len() < 100 && hole_out.len() > 8,
        "{} vertices",
        hole_out.len()
    );
    island_out.reverse();
    assert!(is_rotation_of(&hole_out, &island_out));
    let union = union_of(&out);
    assert!((sum_of_areas(&out) - union.unsigned_area()).abs() < 1e-6);
    assert!((union.unsigned_area() - 9_000_000.0).abs() < 1e-6);
    assert!(union.0[0].interiors().is_empty());
}

#[test]
fn polygon_smaller_than_the_tolerance_collapses_and_is_dropped() {
    let speck = polygon![(x: 10.0, y: 10.0), (x: 14.0, y: 10.0), (x: 12.0, y: 13.0)];
    let big = polygon![(x: 100.0, y: 100.0), (x: 900.0, y: 100.0), (x: 500.0, y: 800.0)];
    let out = simplify_shared(&[speck.into(), big.into()], 16.0);
    assert!(out[0].0.is_empty());
    assert_eq!(out[1].0[0].exterior().0.len(), 4);
}

#[test]
fn collapsed_hole_is_dropped_and_its_polygon_kept() {
    let holed = polygon!(
        exterior: [(x: 0.0, y: 0.0), (x: 500.0, y: 0.0), (x: 500.0, y: 500.0), (x: 0.0, y: 500.0)],
        interiors: [[(x: 200.0, y: 200.0), (x: 203.0, y: 200.0), (x: 203.0, y: 203.0), (x: 200.0, y: 203.0)]],
    );
    let out = simplify_shared(&[holed.into()], 16.0);
    assert_eq!(out[0].0.len(), 1);
    assert!(out[0].0[0].interiors().is_empty());
}

#[test]
fn points_merged_by_snapping_are_not_repeated() {
    let ring = polygon![(x: 0.0, y: 0.0), (x: 0.2, y: 0.1), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.4, y: 10.3), (x: 0.0, y: 10.0)];
    let out = simplify_shared(&[ring.into()], 0.0);
    assert_eq!(
        out[0].0[0].exterior().0,
        vec![
            coord! { x: 0, y: 0 },
            coord! { x: 10, y: 0 },
            coord! { x: 10, y: 10 },
            coord! { x: 0, y: 10 },
            coord! { x: 0, y: 0 }
        ]
    );
}

#[test]
fn zero_tolerance_only_snaps_to_the_grid() {
    let ring =
        polygon![(x: 0.4, y: 0.0), (x: 50.6, y: 1.2), (x: 100.0, y: 0.0), (x: 60.0, y: 80.49)];
    let out = simplify_shared(&[ring.into()], 0.0);
    assert_eq!(
        out[0].0[0].exterior().0,
        vec![
            coord! { x: 0, y: 0 },
            coord! { x: 51, y: 1 },
            coord! { x: 100, y: 0 },
            coord! { x: 60, y: 80 },
            coord! { x: 0, y: 0 }
        ]
    );
}

#[test]
fn spikes_left_by_simplification_are_removed() {
    // A thin tongue of width 2 along y = 0, collapsing to a there-and-back spike at tolerance 5.
    let tongue = polygon![
        (x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 2.0), (x: 50.0, y: 2.0), (x: 50.0, y: 100.0), (x: 0.0, y: 100.0)
    ];
    let out = simplify_shared(&[tongue.into()], 5.0);
    let ring = open_ring(out[0].0[0].exterior());
    for i in 0..ring.len() {
        let n = ring.len();
        assert_ne!(
            ring[(i + n - 1) % n],
            ring[(i + 1) % n],
            "spike at {:?} in {ring:?}",
            ring[i]
        );
    }
}

#[test]
fn output_keeps_input_order_and_empty_features() {
    let square =
        polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)];
    let out = simplify_shared(&[MultiPolygon::new(vec![]), square.into()], 1.0);
    assert_eq!(out.len(), 2);
    assert!(out[0].0.is_empty());
    assert_eq!(out[1].0.len(), 1);
}

#[test]
fn ring_orientation_is_kept() {
    let clockwise_on_screen =
        polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)];
    let mut counter = clockwise_on_screen.clone();
    counter.exterior_mut(|ring| ring.0.reverse());
    let out = simplify_shared(&[clockwise_on_screen.into(), counter.into()], 1.0);
    assert!(twice_signed_area(&out[0].0[0].exterior().0) > 0);
    assert!(twice_signed_area(&out[1].0[0].exterior().0) < 0);
}
