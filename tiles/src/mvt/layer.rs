//! Layers of features with shared key and value tables, and the tile that holds them.

use std::collections::HashSet;

use super::geometry::{encode_geometry, TileGeometry};
use super::protobuf::ProtoWriter;
use crate::fast_hash::FastMap;

/// The MVT specification version written into every layer.
pub const MVT_VERSION: u64 = 2;

/// A feature property value.
///
/// Integers are written as `uint_value` when non-negative and as `sint_value` when negative,
/// the compact forms, so `Int(5)` and `UInt(5)` are one and the same value in a layer.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    String(String),
    Int(i64),
    UInt(u64),
    Double(f64),
    Bool(bool),
}

impl PropertyValue {
    /// The `Tile.Value` message.
    fn encode(&self) -> Vec<u8> {
        let mut w = ProtoWriter::new();
        match self {
            Self::String(s) => w.string(1, s),
            Self::Double(d) => w.double(3, *d),
            Self::Int(i) if *i < 0 => w.sint(6, *i),
            Self::Int(i) => w.uint(5, i.unsigned_abs()),
            Self::UInt(u) => w.uint(5, *u),
            Self::Bool(b) => w.bool(7, *b),
        }
        w.into_bytes()
    }
}

impl From<&str> for PropertyValue {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<String> for PropertyValue {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<i64> for PropertyValue {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl From<i32> for PropertyValue {
    fn from(i: i32) -> Self {
        Self::Int(i64::from(i))
    }
}

impl From<u64> for PropertyValue {
    fn from(u: u64) -> Self {
        Self::UInt(u)
    }
}

impl From<u32> for PropertyValue {
    fn from(u: u32) -> Self {
        Self::UInt(u64::from(u))
    }
}

impl From<f64> for PropertyValue {
    fn from(d: f64) -> Self {
        Self::Double(d)
    }
}

impl From<bool> for PropertyValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

/// Collects the features of one layer, deduplicating property keys and values into the
/// layer's tables.
///
/// ```
/// use geo_types::point;
/// use wangge_tiles::mvt::{encode_tile, LayerBuilder, PropertyValue};
///
/// let mut units = LayerBuilder::new("units", 4096);
/// let added = units.add_feature(
///     Some(42),
///     &point! { x: 100, y: 200 }.into(),
///     [("name", PropertyValue::from("东华门街道")), ("level", PropertyValue::from(3))],
/// );
/// assert!(added);
/// let bytes = encode_tile(&[units.build()]);
/// assert!(!bytes.is_empty());
/// ```
#[derive(Debug)]
pub struct LayerBuilder {
    name: String,
    extent: u32,
    keys: Vec<String>,
    key_index: FastMap<String, u32>,
    values: Vec<Vec<u8>>,
    value_index: FastMap<Vec<u8>, u32>,
    features: Vec<Vec<u8>>,
}

impl LayerBuilder {
    /// A layer called `name` whose geometries use `extent` units per tile side.
    pub fn new(name: impl Into<String>, extent: u32) -> Self {
        Self {
            name: name.into(),
            extent,
            keys: Vec::new(),
            key_index: FastMap::default(),
            values: Vec::new(),
            value_index: FastMap::default(),
            features: Vec::new(),
        }
    }

    /// Adds a feature; returns `false` (and adds nothing) when its geometry is empty or
    /// degenerate. When a key is given twice the last value wins, as a feature may hold each
    /// key only once.
    pub fn add_feature<K: AsRef<str>>(
        &mut self,
        id: Option<u64>,
        geometry: &TileGeometry,
        properties: impl IntoIterator<Item = (K, PropertyValue)>,
    ) -> bool {
        let Some((kind, commands)) = encode_geometry(geometry) else {
            return false;
        };
        let mut tags: Vec<(u32, u32)> = Vec::new();
        for (key, value) in properties {
            let key = self.key_id(key.as_ref());
            let value = self.value_id(&value);
            match tags.iter_mut().find(|(k, _)| *k == key) {
                Some(tag) => tag.1 = value,
                None => tags.push((key, value)),
            }
        }
        let flat_tags: Vec<u32> = tags.into_iter().flat_map(|(k, v)| [k, v]).collect();
        let mut w = ProtoWriter::new();
        if let Some(id) = id {
            w.uint(1, id);
        }
        w.packed_uint32(2, &flat_tags);
        w.uint(3, kind as u64);
        w.packed_uint32(4, &commands);
        self.features.push(w.into_bytes());
        true
    }

    fn key_id(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.key_index.get(key) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.keys.push(key.to_owned());
        self.key_index.insert(key.to_owned(), id);
        id
    }

    fn value_id(&mut self, value: &PropertyValue) -> u32 {
        let encoded = value.encode();
        if let Some(&id) = self.value_index.get(&encoded) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(encoded.clone());
        self.value_index.insert(encoded, id);
        id
    }

    /// Number of features added so far.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Encodes the layer message.
    pub fn build(self) -> Layer {
        let mut w = ProtoWriter::new();
        // The specification asks for the version first so decoders can check it early.
        w.uint(15, MVT_VERSION);
        w.string(1, &self.name);
        for feature in &self.features {
            w.bytes(2, feature);
        }
        for key in &self.keys {
            w.string(3, key);
        }
        for value in &self.values {
            w.bytes(4, value);
        }
        w.uint(5, u64::from(self.extent));
        Layer {
            name: self.name,
            feature_count: self.features.len(),
            encoded: w.into_bytes(),
        }
    }
}

/// One encoded layer, ready to be put into a tile with [`encode_tile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    name: String,
    feature_count: usize,
    encoded: Vec<u8>,
}

impl Layer {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn feature_count(&self) -> usize {
        self.feature_count
    }

    pub fn is_empty(&self) -> bool {
        self.feature_count == 0
    }
}

/// Encodes the layers as one MVT tile. Layers without features are left out (the
/// specification asks for at least one feature per layer), as is any layer whose name an
/// earlier layer already has (names must be unique within a tile). No layers give an empty
/// buffer, a valid empty tile.
pub fn encode_tile(layers: &[Layer]) -> Vec<u8> {
    let mut names = HashSet::new();
    let mut w = ProtoWriter::new();
    for layer in layers {
        if !layer.is_empty() && names.insert(layer.name.as_str()) {
            w.bytes(3, &layer.encoded);
        }
    }
    w.into_bytes()
}
