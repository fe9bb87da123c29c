//! The few protobuf wire-format primitives MVT needs, written by hand.

const WIRE_VARINT: u32 = 0;
const WIRE_FIXED64: u32 = 1;
const WIRE_LEN: u32 = 2;

/// An append-only protobuf message writer.
#[derive(Debug, Default)]
pub(crate) struct ProtoWriter {
    bytes: Vec<u8>,
}

impl ProtoWriter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.bytes.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.bytes.push(value as u8);
    }

    fn key(&mut self, field: u32, wire_type: u32) {
        self.varint(u64::from((field << 3) | wire_type));
    }

    pub fn uint(&mut self, field: u32, value: u64) {
        self.key(field, WIRE_VARINT);
        self.varint(value);
    }

    pub fn sint(&mut self, field: u32, value: i64) {
        self.uint(field, zigzag64(value));
    }

    pub fn bool(&mut self, field: u32, value: bool) {
        self.uint(field, u64::from(value));
    }

    pub fn double(&mut self, field: u32, value: f64) {
        self.key(field, WIRE_FIXED64);
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    pub fn bytes(&mut self, field: u32, value: &[u8]) {
        self.key(field, WIRE_LEN);
        self.varint(value.len() as u64);
        self.bytes.extend_from_slice(value);
    }

    pub fn string(&mut self, field: u32, value: &str) {
        self.bytes(field, value.as_bytes());
    }

    /// A packed `repeated uint32`; nothing is written for an empty list.
    pub fn packed_uint32(&mut self, field: u32, values: &[u32]) {
        if values.is_empty() {
            return;
        }
        let mut packed = ProtoWriter::new();
        for &v in values {
            packed.varint(u64::from(v));
        }
        self.bytes(field, &packed.bytes);
    }
}

pub(crate) fn zigzag32(value: i32) -> u32 {
    ((value << 1) ^ (value >> 31)) as u32
}

pub(crate) fn zigzag64(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_use_seven_bits_per_byte_low_group_first() {
        let mut w = ProtoWriter::new();
        w.uint(1, 300);
        assert_eq!(w.into_bytes(), vec![0x08, 0xAC, 0x02]);
        let mut w = ProtoWriter::new();
        w.uint(5, 4096);
        assert_eq!(w.into_bytes(), vec![0x28, 0x80, 0x20]);
    }

    #[test]
    fn field_15_key_fits_in_one_byte() {
        let mut w = ProtoWriter::new();
        w.uint(15, 2);
        assert_eq!(w.into_bytes(), vec![0x78, 0x02]);
    }

    #[test]
    fn zigzag_maps_small_magnitudes_to_small_numbers() {
        assert_eq!([0, -1, 1, -2, 2].map(zigzag32), [0, 1, 2, 3, 4]);
        assert_eq!(zigzag32(i32::MAX), u32::MAX - 1);
        assert_eq!(zigzag32(i32::MIN), u32::MAX);
        assert_eq!(zigzag64(-3), 5);
    }

    #[test]
    fn strings_and_packed_lists_are_length_delimited() {
        let mut w = ProtoWriter::new();
        w.string(1, "ab");
        w.packed_uint32(4, &[9, 300]);
        w.packed_uint32(2, &[]);
        assert_eq!(
            w.into_bytes(),
            vec![0x0A, 2, b'a', b'b', 0x22, 3, 9, 0xAC, 0x02]
        );
    }

    #[test]
    fn doubles_are_little_endian_fixed64() {
        let mut w = ProtoWriter::new();
        w.double(3, 1.5);
        let mut expected = vec![0x19];
        expected.extend_from_slice(&1.5f64.to_le_bytes());
        assert_eq!(w.into_bytes(), expected);
    }
}
