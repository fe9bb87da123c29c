//! OGC Well-Known Binary for the one geometry kind units have: a MultiPolygon is written
//! little-endian (type 6); a Polygon (3) or MultiPolygon (6) in either byte order is read back.
//!
//! Both stores compare geometries by these bytes, so `encode` must stay deterministic: the same
//! `MultiPolygon` always gives the same bytes.

use geo::{Coord, LineString, MultiPolygon, Polygon};

const WKB_POLYGON: u32 = 3;
const WKB_MULTIPOLYGON: u32 = 6;
/// PostGIS extended WKB: an SRID follows the type code. Accepted on input, never written.
const EWKB_SRID_FLAG: u32 = 0x2000_0000;
const EWKB_Z_FLAG: u32 = 0x8000_0000;
const EWKB_M_FLAG: u32 = 0x4000_0000;

/// Why a byte string is not a 2D (Multi)Polygon in WKB. Offsets count from the first byte.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WkbError {
    #[error("WKB truncated at byte {offset}: {what} needs {needed} bytes, {available} left")]
    Truncated {
        offset: usize,
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error(
        "invalid WKB byte order {value:#04x} at byte {offset}: expected 0 (big-endian) or 1 (little-endian)"
    )]
    ByteOrder { offset: usize, value: u8 },
    #[error(
        "unsupported WKB geometry type {type_code:#x} at byte {offset}: expected a 2D Polygon (3) or MultiPolygon (6)"
    )]
    UnsupportedType { offset: usize, type_code: u32 },
    #[error("member {index} of the WKB MultiPolygon (byte {offset}) has type {type_code:#x}: expected Polygon (3)")]
    MemberNotPolygon {
        index: usize,
        offset: usize,
        type_code: u32,
    },
    #[error("{count} bytes left over after the WKB geometry, which ends at byte {offset}")]
    TrailingBytes { offset: usize, count: usize },
}

/// The WKB of `geometry`: little-endian MultiPolygon, one little-endian Polygon per member.
/// An empty polygon (no exterior coordinates, no holes) is written with zero rings.
pub fn encode(geometry: &MultiPolygon<f64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_len(geometry));
    out.push(1);
    put_u32(&mut out, WKB_MULTIPOLYGON);
    put_count(&mut out, geometry.0.len());
    for polygon in &geometry.0 {
        out.push(1);
        put_u32(&mut out, WKB_POLYGON);
        let rings = rings(polygon);
        put_count(&mut out, rings.len());
        for ring in rings {
            put_count(&mut out, ring.0.len());
            for c in &ring.0 {
                out.extend_from_slice(&c.x.to_le_bytes());
                out.extend_from_slice(&c.y.to_le_bytes());
            }
        }
    }
    out
}

/// Reads a WKB Polygon or MultiPolygon (either byte order, also PostGIS EWKB with an SRID) as
/// a MultiPolygon. The whole input must be one geometry.
pub fn decode(bytes: &[u8]) -> Result<MultiPolygon<f64>, WkbError> {
    let mut r = Reader { bytes, pos: 0 };
    let (order, type_code, type_offset) = r.header()?;
    let geometry = match type_code {
        WKB_POLYGON => MultiPolygon(vec![r.polygon_body(order)?]),
        WKB_MULTIPOLYGON => {
            let count = r.count(order, "the number of polygons", 9)?;
            let mut polygons = Vec::with_capacity(count);
            for index in 0..count {
                let (member_order, member_type, offset) = r.header()?;
                if member_type != WKB_POLYGON {
                    return Err(WkbError::MemberNotPolygon {
                        index,
                        offset,
                        type_code: member_type,
                    });
                }
                polygons.push(r.polygon_body(member_order)?);
            }
            MultiPolygon(polygons)
        }
        other => {
            return Err(WkbError::UnsupportedType {
                offset: type_offset,
                type_code: other,
            })
        }
    };
    if r.pos < bytes.len() {
        return Err(WkbError::TrailingBytes {
            offset: r.pos,
            count: bytes.len() - r.pos,
        });
    }
    Ok(geometry)
}

fn rings(polygon: &Polygon<f64>) -> Vec<&LineString<f64>> {
    if polygon.exterior().0.is_empty() && polygon.interiors().is_empty() {
        return Vec::new();
    }
    std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .collect()
}

fn encoded_len(geometry: &MultiPolygon<f64>) -> usize {
    9 + geometry
        .0
        .iter()
        .map(|p| {
            9 + rings(p)
                .iter()
                .map(|ring| 4 + 16 * ring.0.len())
                .sum::<usize>()
        })
        .sum::<usize>()
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_count(out: &mut Vec<u8>, n: usize) {
    // More than u32::MAX parts or points would be tens of gigabytes: not a unit boundary.
    put_u32(out, u32::try_from(n).unwrap_or(u32::MAX));
}

#[derive(Clone, Copy)]
enum ByteOrder {
    Big,
    Little,
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WkbError> {
        let available = self.bytes.len() - self.pos;
        let slice = self
            .bytes
            .get(self.pos..self.pos + N)
            .ok_or(WkbError::Truncated {
                offset: self.pos,
                what,
                needed: N,
                available,
            })?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        self.pos += N;
        Ok(out)
    }

    fn u32(&mut self, order: ByteOrder, what: &'static str) -> Result<u32, WkbError> {
        let b = self.take::<4>(what)?;
        Ok(match order {
            ByteOrder::Big => u32::from_be_bytes(b),
            ByteOrder::Little => u32::from_le_bytes(b),
        })
    }

    fn f64(&mut self, order: ByteOrder) -> Result<f64, WkbError> {
        let b = self.take::<8>("a coordinate")?;
        Ok(match order {
            ByteOrder::Big => f64::from_be_bytes(b),
            ByteOrder::Little => f64::from_le_bytes(b),
        })
    }

    /// A count followed by at least `count * min_item` bytes; checked before allocating so that
    /// a corrupt count is reported as truncation instead of exhausting memory.
    fn count(
        &mut self,
        order: ByteOrder,
        what: &'static str,
        min_item: usize,
    ) -> Result<usize, WkbError> {
        let count = self.u32(order, what)? as usize;
        let available = self.bytes.len() - self.pos;
        let needed = count.saturating_mul(min_item);
        if needed > available {
            return Err(WkbError::Truncated {
                offset: self.pos,
                what,
                needed,
                available,
            });
        }
        Ok(count)
    }

    /// Byte order and 2D type code of the geometry starting here, and the offset of the code.
    fn header(&mut self) -> Result<(ByteOrder, u32, usize), WkbError> {
        let offset = self.pos;
        let [value] = self.take::<1>("the byte order")?;
        let order = match value {
            0 => ByteOrder::Big,
            1 => ByteOrder::Little,
            _ => return Err(WkbError::ByteOrder { offset, value }),
        };
        let type_offset = self.pos;
        let raw = self.u32(order, "the geometry type")?;
        if raw & (EWKB_Z_FLAG | EWKB_M_FLAG) != 0 {
            return Err(WkbError::UnsupportedType {
                offset: type_offset,
                type_code: raw,
            });
        }
        if raw & EWKB_SRID_FLAG != 0 {
            self.take::<4>("the EWKB SRID")?;
        }
        Ok((order, raw & !EWKB_SRID_FLAG, type_offset))
    }

    fn polygon_body(&mut self, order: ByteOrder) -> Result<Polygon<f64>, WkbError> {
        let ring_count = self.count(order, "the number of rings", 4)?;
        let mut rings = Vec::with_capacity(ring_count);
        for _ in 0..ring_count {
            let points = self.count(order, "the number of points", 16)?;
            let mut coords = Vec::with_capacity(points);
            for _ in 0..points {
                let x = self.f64(order)?;
                let y = self.f64(order)?;
                coords.push(Coord { x, y });
            }
            rings.push(LineString(coords));
        }
        let mut rings = rings.into_iter();
        let exterior = rings.next().unwrap_or_else(|| LineString(Vec::new()));
        Ok(Polygon::new(exterior, rings.collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn sample() -> MultiPolygon<f64> {
        let with_hole = polygon!(
            exterior: [
                (x: 118.0, y: 24.0),
                (x: 118.1, y: 24.0),
                (x: 118.1, y: 24.1),
                (x: 118.0, y: 24.1),
            ],
            interiors: [[
                (x: 118.02, y: 24.02),
                (x: 118.02, y: 24.04),
                (x: 118.04, y: 24.04),
            ]],
        );
        let plain = polygon![
            (x: 118.2, y: 24.0),
            (x: 118.3, y: 24.0),
            (x: 118.25, y: 24.05),
        ];
        MultiPolygon(vec![with_hole, plain])
    }

    #[test]
    fn multipolygon_round_trips_bit_for_bit() {
        let mp = sample();
        let bytes = encode(&mp);
        assert_eq!(bytes[0], 1, "little-endian marker");
        assert_eq!(&bytes[1..5], &6u32.to_le_bytes());
        assert_eq!(bytes.len(), encoded_len(&mp));
        assert_eq!(decode(&bytes).unwrap(), mp);
        assert_eq!(encode(&decode(&bytes).unwrap()), bytes);
    }

    #[test]
    fn empty_multipolygon_round_trips() {
        let mp = MultiPolygon::<f64>(vec![]);
        let bytes = encode(&mp);
        assert_eq!(bytes, [1, 6, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(decode(&bytes).unwrap(), mp);
    }

    #[test]
    fn big_endian_polygon_decodes_as_one_member_multipolygon() {
        let mut be = vec![0u8];
        be.extend_from_slice(&3u32.to_be_bytes());
        be.extend_from_slice(&1u32.to_be_bytes());
        be.extend_from_slice(&4u32.to_be_bytes());
        for (x, y) in [(0.0f64, 0.0f64), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)] {
            be.extend_from_slice(&x.to_be_bytes());
            be.extend_from_slice(&y.to_be_bytes());
        }
        let mp = decode(&be).unwrap();
        assert_eq!(
            mp,
            MultiPolygon(vec![
                polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0)]
            ])
        );
    }

    #[test]
    fn big_endian_multipolygon_equals_little_endian() {
        let mp = sample();
        let mut be = vec![0u8];
        be.extend_from_slice(&6u32.to_be_bytes());
        be.extend_from_slice(&(mp.0.len() as u32).to_be_bytes());
        for p in &mp.0 {
            be.push(0);
            be.extend_from_slice(&3u32.to_be_bytes());
            let rings = rings(p);
            be.extend_from_slice(&(rings.len() as u32).to_be_bytes());
            for ring in rings {
                be.extend_from_slice(&(ring.0.len() as u32).to_be_bytes());
                for c in &ring.0 {
                    be.extend_from_slice(&c.x.to_be_bytes());
                    be.extend_from_slice(&c.y.to_be_bytes());
                }
            }
        }
        assert_eq!(decode(&be).unwrap(), mp);
    }

    #[test]
    fn truncated_input_reports_where_and_what() {
        let bytes = encode(&sample());
        let cut = &bytes[..bytes.len() - 3];
        match decode(cut) {
            Err(WkbError::Truncated { what, .. }) => {
                assert!(what.contains("number of points") || what.contains("coordinate"))
            }
            other => panic!("expected truncation, got {other:?}"),
        }
        assert!(matches!(
            decode(&[]),
            Err(WkbError::Truncated {
                offset: 0,
                what: "the byte order",
                ..
            })
        ));
        assert!(matches!(
            decode(&bytes[..3]),
            Err(WkbError::Truncated {
                offset: 1,
                what: "the geometry type",
                ..
            })
        ));
    }

    #[test]
    fn absurd_counts_are_truncation_not_allocation() {
        let mut bytes = vec![1u8];
        bytes.extend_from_slice(&6u32.to_le_bytes());
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decode(&bytes),
            Err(WkbError::Truncated { offset: 9, .. })
        ));
    }

    #[test]
    fn other_types_byte_orders_and_trailing_bytes_are_rejected() {
        let mut point = vec![1u8];
        point.extend_from_slice(&1u32.to_le_bytes());
        point.extend_from_slice(&[0u8; 16]);
        assert_eq!(
            decode(&point),
            Err(WkbError::UnsupportedType {
                offset: 1,
                type_code: 1
            })
        );

        let mut z = vec![1u8];
        z.extend_from_slice(&1006u32.to_le_bytes());
        z.extend_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            decode(&z),
            Err(WkbError::UnsupportedType {
                type_code: 1006,
                ..
            })
        ));

        assert_eq!(
            decode(&[7, 6, 0, 0, 0]),
            Err(WkbError::ByteOrder {
                offset: 0,
                value: 7
            })
        );

        let mut extra = encode(&sample());
        let end = extra.len();
        extra.extend_from_slice(&[0, 0]);
        assert_eq!(
            decode(&extra),
            Err(WkbError::TrailingBytes {
                offset: end,
                count: 2
            })
        );
    }

    #[test]
    fn multipolygon_member_must_be_a_polygon() {
        let mut bytes = vec![1u8];
        bytes.extend_from_slice(&6u32.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.push(1);
        bytes.extend_from_slice(&2u32.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            decode(&bytes),
            Err(WkbError::MemberNotPolygon {
                index: 0,
                offset: 10,
                type_code: 2
            })
        );
    }

    #[test]
    fn ewkb_with_srid_is_accepted() {
        let plain = encode(&sample());
        let mut ewkb = vec![1u8];
        ewkb.extend_from_slice(&(6u32 | EWKB_SRID_FLAG).to_le_bytes());
        ewkb.extend_from_slice(&4326u32.to_le_bytes());
        ewkb.extend_from_slice(&plain[5..]);
        assert_eq!(decode(&ewkb).unwrap(), sample());
    }
}
