//! GeoPackage binary geometry (GeoPackage 1.4, clause 2.1.3): the "GP" header with version,
//! flags, srs_id and an optional envelope, followed by standard WKB. The embedded store writes
//! its `units.geom` column in this form so that QGIS and GDAL read the file as it is.

use geo::{BoundingRect, MultiPolygon, Rect};

use super::wkb::{self, WkbError};

/// EPSG:4326, the only spatial reference units are stored in.
pub const SRS_ID_WGS84: i32 = 4326;

const MAGIC: [u8; 2] = *b"GP";
const FLAG_LITTLE_ENDIAN: u8 = 0b0000_0001;
const ENVELOPE_XY: u8 = 1;
const FLAG_EMPTY: u8 = 0b0001_0000;
const FLAG_EXTENDED: u8 = 0b0010_0000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpkgError {
    #[error("GeoPackage geometry truncated: {len} bytes, its header needs {needed}")]
    Truncated { len: usize, needed: usize },
    #[error("not a GeoPackage geometry: starts with {found:02x?}, expected \"GP\" (47 50)")]
    Magic { found: Vec<u8> },
    #[error("unsupported GeoPackage geometry version {0}: expected 0")]
    Version(u8),
    #[error(
        "invalid envelope contents indicator {0} in GeoPackage geometry flags: expected 0 to 4"
    )]
    EnvelopeKind(u8),
    #[error("extended GeoPackage geometry (flags bit 5) is not supported")]
    Extended,
    #[error("WKB after the GeoPackage header (byte {header_len}): {source}")]
    Wkb {
        header_len: usize,
        #[source]
        source: WkbError,
    },
}

/// A decoded GeoPackage geometry blob.
#[derive(Debug, Clone, PartialEq)]
pub struct GpkgGeometry {
    pub srs_id: i32,
    /// The x/y part of the header's envelope, when the header has one.
    pub envelope: Option<Rect<f64>>,
    pub geometry: MultiPolygon<f64>,
}

/// The GeoPackage blob of `geometry`: version 0, little-endian, an xy envelope
/// (minx, maxx, miny, maxy), then little-endian WKB. An empty geometry gets the empty flag and no
/// envelope.
pub fn encode(geometry: &MultiPolygon<f64>, srs_id: i32) -> Vec<u8> {
    let envelope = geometry.bounding_rect();
    let wkb = wkb::encode(geometry);
    let mut out = Vec::with_capacity(8 + 32 + wkb.len());
    out.extend_from_slice(&MAGIC);
    out.push(0);
    out.push(match envelope {
        Some(_) => FLAG_LITTLE_ENDIAN | (ENVELOPE_XY << 1),
        None => FLAG_LITTLE_ENDIAN | FLAG_EMPTY,
    });
    out.extend_from_slice(&srs_id.to_le_bytes());
    if let Some(r) = envelope {
        for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out.extend_from_slice(&wkb);
    out
}

/// Reads a GeoPackage geometry blob whose WKB is a Polygon or MultiPolygon. Any envelope kind
/// (none, xy, xyz, xym, xyzm) and either header byte order is accepted.
pub fn decode(bytes: &[u8]) -> Result<GpkgGeometry, GpkgError> {
    let truncated = |needed| GpkgError::Truncated {
        len: bytes.len(),
        needed,
    };
    let fixed = bytes.get(..8).ok_or(truncated(8))?;
    if fixed[..2] != MAGIC {
        return Err(GpkgError::Magic {
            found: fixed[..2].to_vec(),
        });
    }
    if fixed[2] != 0 {
        return Err(GpkgError::Version(fixed[2]));
    }
    let flags = fixed[3];
    if flags & FLAG_EXTENDED != 0 {
        return Err(GpkgError::Extended);
    }
    let little = flags & FLAG_LITTLE_ENDIAN != 0;
    let envelope_kind = (flags >> 1) & 0b111;
    let envelope_len = match envelope_kind {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(GpkgError::EnvelopeKind(other)),
    };
    let header_len = 8 + envelope_len;
    let header = bytes.get(..header_len).ok_or(truncated(header_len))?;
    let srs = [header[4], header[5], header[6], header[7]];
    let srs_id = if little {
        i32::from_le_bytes(srs)
    } else {
        i32::from_be_bytes(srs)
    };
    let double = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&header[at..at + 8]);
        if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        }
    };
    let envelope = (envelope_kind != 0).then(|| {
        Rect::new(
            geo::coord! { x: double(8), y: double(24) },
            geo::coord! { x: double(16), y: double(32) },
        )
    });
    let geometry = wkb::decode(&bytes[header_len..])
        .map_err(|source| GpkgError::Wkb { header_len, source })?;
    Ok(GpkgGeometry {
        srs_id,
        envelope,
        geometry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square() -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: 118.0, y: 24.0),
            (x: 118.5, y: 24.0),
            (x: 118.5, y: 24.25),
            (x: 118.0, y: 24.25),
        ]])
    }

    #[test]
    fn header_is_gp_v0_little_endian_xy_envelope_4326() {
        let blob = encode(&square(), SRS_ID_WGS84);
        assert_eq!(&blob[..4], &[b'G', b'P', 0, 0b0000_0011]);
        assert_eq!(&blob[4..8], &4326i32.to_le_bytes());
        let env: Vec<f64> = (0..4)
            .map(|i| f64::from_le_bytes(blob[8 + 8 * i..16 + 8 * i].try_into().unwrap()))
            .collect();
        assert_eq!(env, [118.0, 118.5, 24.0, 24.25]);
        assert_eq!(&blob[40..], &wkb::encode(&square())[..]);
    }

    #[test]
    fn round_trip_keeps_srs_envelope_and_geometry() {
        let decoded = decode(&encode(&square(), SRS_ID_WGS84)).unwrap();
        assert_eq!(decoded.srs_id, 4326);
        assert_eq!(
            decoded.envelope,
            Some(Rect::new(
                geo::coord! { x: 118.0, y: 24.0 },
                geo::coord! { x: 118.5, y: 24.25 }
            ))
        );
        assert_eq!(decoded.geometry, square());
    }

    #[test]
    fn empty_geometry_has_empty_flag_and_no_envelope() {
        let empty = MultiPolygon::<f64>(vec![]);
        let blob = encode(&empty, SRS_ID_WGS84);
        assert_eq!(blob[3], 0b0001_0001);
        assert_eq!(blob.len(), 8 + 9);
        let decoded = decode(&blob).unwrap();
        assert_eq!(decoded.envelope, None);
        assert_eq!(decoded.geometry, empty);
    }

    #[test]
    fn any_envelope_kind_and_big_endian_header_decode() {
        let wkb = wkb::encode(&square());
        for (kind, doubles) in [(0u8, 0usize), (2, 6), (3, 6), (4, 8)] {
            let mut blob = vec![b'G', b'P', 0, kind << 1];
            blob.extend_from_slice(&4326i32.to_be_bytes());
            for i in 0..doubles {
                blob.extend_from_slice(&(i as f64).to_be_bytes());
            }
            blob.extend_from_slice(&wkb);
            let decoded = decode(&blob).unwrap();
            assert_eq!(decoded.srs_id, 4326, "envelope kind {kind}");
            assert_eq!(decoded.geometry, square(), "envelope kind {kind}");
            assert_eq!(decoded.envelope.is_some(), kind != 0);
        }
    }

    #[test]
    fn malformed_headers_are_rejected_with_reason() {
        let good = encode(&square(), SRS_ID_WGS84);
        assert_eq!(
            decode(&good[..5]),
            Err(GpkgError::Truncated { len: 5, needed: 8 })
        );
        assert_eq!(
            decode(&good[..20]),
            Err(GpkgError::Truncated {
                len: 20,
                needed: 40
            })
        );
        assert!(matches!(
            decode(&wkb::encode(&square())),
            Err(GpkgError::Magic { .. })
        ));
        let mut v1 = good.clone();
        v1[2] = 1;
        assert_eq!(decode(&v1), Err(GpkgError::Version(1)));
        let mut bad_env = good.clone();
        bad_env[3] = 0b0000_1011;
        assert_eq!(decode(&bad_env), Err(GpkgError::EnvelopeKind(5)));
        let mut ext = good.clone();
        ext[3] |= 0b0010_0000;
        assert_eq!(decode(&ext), Err(GpkgError::Extended));
        assert!(matches!(
            decode(&good[..good.len() - 1]),
            Err(GpkgError::Wkb { header_len: 40, .. })
        ));
    }
}
