//! Douglas–Peucker line simplification on integer grid points.

use super::GridPoint;

/// Keeps the first and last point and every point needed so that no dropped point lies farther
/// than `tolerance` from the simplified line. An open polyline whose ends coincide (a closed
/// arc) is measured against that single point, so its farthest vertex is kept first.
pub(super) fn douglas_peucker(points: &[GridPoint], tolerance: f64) -> Vec<GridPoint> {
    let n = points.len();
    if n <= 2 || tolerance <= 0.0 {
        return points.to_vec();
    }
    let limit = tolerance * tolerance;
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let mut spans = vec![(0, n - 1)];
    while let Some((first, last)) = spans.pop() {
        let (a, b) = (points[first], points[last]);
        let farthest = (first + 1..last)
            .map(|i| (i, squared_distance_to_segment(points[i], a, b)))
            .fold(None, |best: Option<(usize, f64)>, (i, d)| match best {
                Some((_, best_d)) if best_d >= d => best,
                _ => Some((i, d)),
            });
        if let Some((i, d)) = farthest {
            if d > limit {
                keep[i] = true;
                spans.push((first, i));
                spans.push((i, last));
            }
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(&p, kept)| kept.then_some(p))
        .collect()
}

fn squared_distance_to_segment(p: GridPoint, a: GridPoint, b: GridPoint) -> f64 {
    let (px, py) = (f64::from(p.0), f64::from(p.1));
    let (ax, ay) = (f64::from(a.0), f64::from(a.1));
    let (dx, dy) = (f64::from(b.0) - ax, f64::from(b.1) - ay);
    let length_sq = dx * dx + dy * dy;
    let t = if length_sq == 0.0 {
        0.0
    } else {
        (((px - ax) * dx + (py - ay) * dy) / length_sq).clamp(0.0, 1.0)
    };
    let (ex, ey) = (ax + t * dx - px, ay + t * dy - py);
    ex * ex + ey * ey
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_within_tolerance_of_the_chord_are_dropped() {
        let line = [(0, 0), (10, 1), (20, -1), (30, 0)];
        assert_eq!(douglas_peucker(&line, 2.0), vec![(0, 0), (30, 0)]);
    }

    #[test]
    fn a_point_beyond_tolerance_is_kept() {
        let line = [(0, 0), (5, 1), (15, 20), (25, 1), (30, 0)];
        assert_eq!(douglas_peucker(&line, 5.0), vec![(0, 0), (15, 20), (30, 0)]);
    }

    #[test]
    fn distance_is_to_the_segment_not_the_infinite_line() {
        // (40, 0) is on the chord's line but 10 beyond its end.
        let line = [(0, 0), (40, 0), (30, 0)];
        assert_eq!(douglas_peucker(&line, 5.0), line.to_vec());
    }

    #[test]
    fn closed_arc_keeps_its_farthest_vertex_first() {
        let ring = [(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)];
        assert_eq!(douglas_peucker(&ring, 1.0), ring.to_vec());
        let tiny = [(0, 0), (2, 0), (2, 2), (0, 0)];
        assert_eq!(douglas_peucker(&tiny, 5.0), vec![(0, 0), (0, 0)]);
    }

    #[test]
    fn zero_tolerance_keeps_everything() {
        let line = [(0, 0), (1, 0), (2, 0)];
        assert_eq!(douglas_peucker(&line, 0.0), line.to_vec());
    }
}
