//! A minimal MVT decoder for the tests: reads back what the encoder wrote and rejects what the
//! specification forbids (zero-length `LineTo`, repeated closing points, zero-area rings).

use geo_types::{Coord, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

use super::{PropertyValue, TileGeometry};
use crate::winding::twice_signed_area;

enum Field<'a> {
    Varint(u64),
    Fixed64([u8; 8]),
    Bytes(&'a [u8]),
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos + n;
        let slice = self.bytes.get(self.pos..end).ok_or("truncated message")?;
        self.pos = end;
        Ok(slice)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7F) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err("varint too long".into())
    }

    fn field(&mut self) -> Result<(u32, Field<'a>), String> {
        let key = self.varint()?;
        let number = (key >> 3) as u32;
        let field = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => Field::Fixed64(self.take(8)?.try_into().map_err(|_| "fixed64")?),
            2 => {
                let len = self.varint()? as usize;
                Field::Bytes(self.take(len)?)
            }
            other => return Err(format!("unexpected wire type {other} for field {number}")),
        };
        Ok((number, field))
    }
}

fn packed(bytes: &[u8]) -> Result<Vec<u32>, String> {
    let mut reader = Reader::new(bytes);
    let mut out = Vec::new();
    while !reader.done() {
        out.push(u32::try_from(reader.varint()?).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

fn utf8(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())
}

#[derive(Debug, Default)]
pub(crate) struct DecodedLayer {
    /// Field numbers in the order they appear, to check the encoder's layout.
    pub field_order: Vec<u32>,
    pub version: u64,
    pub name: String,
    pub extent: u64,
    pub keys: Vec<String>,
    pub values: Vec<PropertyValue>,
    pub features: Vec<DecodedFeature>,
}

#[derive(Debug, Default)]
pub(crate) struct DecodedFeature {
    pub id: Option<u64>,
    pub tags: Vec<u32>,
    pub kind: u64,
    pub commands: Vec<u32>,
}

impl DecodedFeature {
    pub fn properties(&self, layer: &DecodedLayer) -> Vec<(String, PropertyValue)> {
        self.tags
            .chunks(2)
            .map(|pair| {
                (
                    layer.keys[pair[0] as usize].clone(),
                    layer.values[pair[1] as usize].clone(),
                )
            })
            .collect()
    }

    pub fn geometry(&self) -> Result<TileGeometry, String> {
        decode_geometry(self.kind, &self.commands)
    }
}

pub(crate) fn decode_tile(bytes: &[u8]) -> Result<Vec<DecodedLayer>, String> {
    let mut reader = Reader::new(bytes);
    let mut layers = Vec::new();
    while !reader.done() {
        match reader.field()? {
            (3, Field::Bytes(layer)) => layers.push(decode_layer(layer)?),
            (n, _) => return Err(format!("unexpected tile field {n}")),
        }
    }
    Ok(layers)
}

fn decode_layer(bytes: &[u8]) -> Result<DecodedLayer, String> {
    let mut reader = Reader::new(bytes);
    let mut layer = DecodedLayer::default();
    while !reader.done() {
        let (number, field) = reader.field()?;
        layer.field_order.push(number);
        match (number, field) {
            (15, Field::Varint(v)) => layer.version = v,
            (1, Field::Bytes(b)) => layer.name = utf8(b)?,
            (2, Field::Bytes(b)) => layer.features.push(decode_feature(b)?),
            (3, Field::Bytes(b)) => layer.keys.push(utf8(b)?),
            (4, Field::Bytes(b)) => layer.values.push(decode_value(b)?),
            (5, Field::Varint(v)) => layer.extent = v,
            (n, _) => return Err(format!("unexpected layer field {n}")),
        }
    }
    Ok(layer)
}

fn decode_feature(bytes: &[u8]) -> Result<DecodedFeature, String> {
    let mut reader = Reader::new(bytes);
    let mut feature = DecodedFeature::default();
    while !reader.done() {
        match reader.field()? {
            (1, Field::Varint(v)) => feature.id = Some(v),
            (2, Field::Bytes(b)) => feature.tags = packed(b)?,
            (3, Field::Varint(v)) => feature.kind = v,
            (4, Field::Bytes(b)) => feature.commands = packed(b)?,
            (n, _) => return Err(format!("unexpected feature field {n}")),
        }
    }
    Ok(feature)
}

fn decode_value(bytes: &[u8]) -> Result<PropertyValue, String> {
    let mut reader = Reader::new(bytes);
    let value = match reader.field()? {
        (1, Field::Bytes(b)) => PropertyValue::String(utf8(b)?),
        (3, Field::Fixed64(b)) => PropertyValue::Double(f64::from_le_bytes(b)),
        (4, Field::Varint(v)) => PropertyValue::Int(v as i64),
        (5, Field::Varint(v)) => PropertyValue::UInt(v),
        (6, Field::Varint(v)) => PropertyValue::Int(((v >> 1) as i64) ^ -((v & 1) as i64)),
        (7, Field::Varint(v)) => PropertyValue::Bool(v != 0),
        (n, _) => return Err(format!("unexpected value field {n}")),
    };
    if !reader.done() {
        return Err("a value must hold exactly one field".into());
    }
    Ok(value)
}

fn unzigzag(n: u32) -> i32 {
    ((n >> 1) as i32) ^ -((n & 1) as i32)
}

pub(crate) fn decode_geometry(kind: u64, commands: &[u32]) -> Result<TileGeometry, String> {
    let mut cursor = Coord { x: 0i32, y: 0i32 };
    let mut points: Vec<Point<i32>> = Vec::new();
    let mut parts: Vec<(Vec<Coord<i32>>, bool)> = Vec::new();
    let mut i = 0;
    let next = |i: &mut usize| -> Result<i32, String> {
        let v = commands.get(*i).ok_or("missing parameter")?;
        *i += 1;
        Ok(unzigzag(*v))
    };
    while i < commands.len() {
        let (id, count) = (commands[i] & 7, commands[i] >> 3);
        i += 1;
        match id {
            1 => {
                for _ in 0..count {
                    cursor.x += next(&mut i)?;
                    cursor.y += next(&mut i)?;
                    if kind == 1 {
                        points.push(Point(cursor));
                    } else {
                        parts.push((vec![cursor], false));
                    }
                }
            }
            2 => {
                for _ in 0..count {
                    let (dx, dy) = (next(&mut i)?, next(&mut i)?);
                    if dx == 0 && dy == 0 {
                        return Err("zero-length LineTo".into());
                    }
                    cursor.x += dx;
                    cursor.y += dy;
                    parts
                        .last_mut()
                        .ok_or("LineTo before MoveTo")?
                        .0
                        .push(cursor);
                }
            }
            7 => {
                let (ring, closed) = parts.last_mut().ok_or("ClosePath before MoveTo")?;
                if kind != 3 || count != 1 || ring.len() < 3 || ring.first() == ring.last() {
                    return Err(format!("invalid ClosePath after {ring:?}"));
                }
                ring.push(ring[0]);
                *closed = true;
            }
            other => return Err(format!("unknown command {other}")),
        }
    }
    match kind {
        1 => Ok(TileGeometry::Points(MultiPoint::new(points))),
        2 => Ok(TileGeometry::LineStrings(MultiLineString::new(
            parts.into_iter().map(|(p, _)| LineString::new(p)).collect(),
        ))),
        3 => polygons_from_rings(parts).map(TileGeometry::Polygons),
        other => Err(format!("unknown geometry type {other}")),
    }
}

fn polygons_from_rings(rings: Vec<(Vec<Coord<i32>>, bool)>) -> Result<MultiPolygon<i32>, String> {
    let mut polygons: Vec<Polygon<i32>> = Vec::new();
    for (ring, closed) in rings {
        if !closed {
            return Err("ring without ClosePath".into());
        }
        let area = twice_signed_area(&ring);
        if area > 0 {
            polygons.push(Polygon::new(LineString::new(ring), vec![]));
        } else if area < 0 {
            let outer = polygons.last_mut().ok_or("hole before any exterior ring")?;
            outer.interiors_push(LineString::new(ring));
        } else {
            return Err("zero-area ring".into());
        }
    }
    Ok(MultiPolygon::new(polygons))
}
