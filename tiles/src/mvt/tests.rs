use geo_types::{line_string, point, polygon, MultiPolygon};

use super::decode::{decode_geometry, decode_tile};
use super::*;

fn props(pairs: &[(&str, PropertyValue)]) -> Vec<(String, PropertyValue)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[test]
fn one_point_tile_has_exactly_the_bytes_the_schema_prescribes() {
    let mut layer = LayerBuilder::new("a", 4096);
    layer.add_feature(
        Some(1),
        &point! { x: 25, y: 17 }.into(),
        [("k", PropertyValue::from("v"))],
    );
    let feature = [0x08, 1, 0x12, 2, 0, 0, 0x18, 1, 0x22, 3, 9, 50, 34];
    let mut expected_layer = vec![0x78, 2, 0x0A, 1, b'a', 0x12, 13];
    expected_layer.extend(feature);
    expected_layer.extend([0x1A, 1, b'k', 0x22, 3, 0x0A, 1, b'v', 0x28, 0x80, 0x20]);
    let mut expected = vec![0x1A, expected_layer.len() as u8];
    expected.extend(expected_layer);
    assert_eq!(encode_tile(&[layer.build()]), expected);
}

#[test]
fn layer_writes_version_2_first_then_name_features_keys_values_extent() {
    let mut layer = LayerBuilder::new("units", 512);
    layer.add_feature(
        None,
        &point! { x: 1, y: 2 }.into(),
        [("a", PropertyValue::from(1))],
    );
    let decoded = decode_tile(&encode_tile(&[layer.build()])).expect("decodes");
    let layer = &decoded[0];
    assert_eq!(layer.field_order, vec![15, 1, 2, 3, 4, 5]);
    assert_eq!(
        (layer.version, layer.name.as_str(), layer.extent),
        (2, "units", 512)
    );
}

#[test]
fn features_round_trip_with_ids_properties_and_geometry() {
    let square = polygon![(x: 0, y: 0), (x: 0, y: 100), (x: 100, y: 100), (x: 100, y: 0)];
    let line = line_string![(x: -10, y: 5), (x: 4200, y: 5)];
    let mut layer = LayerBuilder::new("mixed", 4096);
    let unit = [
        ("name", PropertyValue::from("东华门街道")),
        ("level", PropertyValue::from(3)),
        ("population", PropertyValue::from(u64::MAX)),
        ("offset", PropertyValue::from(-7i64)),
        ("density", PropertyValue::from(0.25)),
        ("active", PropertyValue::from(true)),
    ];
    assert!(layer.add_feature(Some(u64::MAX), &square.clone().into(), unit.clone()));
    assert!(layer.add_feature(
        None,
        &line.clone().into(),
        [("name", PropertyValue::from("road"))]
    ));
    assert_eq!(layer.len(), 2);

    let decoded = decode_tile(&encode_tile(&[layer.build()])).expect("decodes");
    let layer = &decoded[0];
    let (polygon_feature, line_feature) = (&layer.features[0], &layer.features[1]);
    assert_eq!(polygon_feature.id, Some(u64::MAX));
    assert_eq!(line_feature.id, None);
    let mut expected = props(&unit);
    expected[1].1 = PropertyValue::UInt(3); // non-negative integers travel as uint_value
    assert_eq!(polygon_feature.properties(layer), expected);
    assert_eq!(
        line_feature.properties(layer),
        props(&[("name", "road".into())])
    );
    assert_eq!((polygon_feature.kind, line_feature.kind), (3, 2));
    assert_eq!(line_feature.geometry(), Ok(line.into()));
    let TileGeometry::Polygons(decoded_square) = polygon_feature.geometry().expect("valid") else {
        panic!("not a polygon");
    };
    let ring = &decoded_square.0[0].exterior().0;
    assert_eq!(
        crate::winding::twice_signed_area(ring),
        20_000,
        "exterior made positive"
    );
}

#[test]
fn keys_and_values_are_stored_once_per_layer() {
    let mut layer = LayerBuilder::new("units", 4096);
    for i in 0..10 {
        let properties = [
            ("kind", PropertyValue::from("grid")),
            ("even", PropertyValue::from(i % 2 == 0)),
            ("count", PropertyValue::Int(5)),
            ("total", PropertyValue::UInt(5)),
        ];
        layer.add_feature(Some(i), &point! { x: 1, y: 1 }.into(), properties);
    }
    let decoded = decode_tile(&encode_tile(&[layer.build()])).expect("decodes");
    let layer = &decoded[0];
    assert_eq!(layer.keys, vec!["kind", "even", "count", "total"]);
    // "grid", true, 5 (Int(5) and UInt(5) encode alike), false.
    assert_eq!(layer.values.len(), 4);
    assert_eq!(layer.features.len(), 10);
}

#[test]
fn a_key_given_twice_keeps_its_last_value() {
    let mut layer = LayerBuilder::new("units", 4096);
    let properties = [
        ("name", PropertyValue::from("old")),
        ("name", PropertyValue::from("new")),
    ];
    layer.add_feature(None, &point! { x: 1, y: 1 }.into(), properties);
    let decoded = decode_tile(&encode_tile(&[layer.build()])).expect("decodes");
    let layer = &decoded[0];
    assert_eq!(
        layer.features[0].properties(layer),
        props(&[("name", "new".into())])
    );
}

#[test]
fn negative_integers_use_sint_and_others_uint() {
    let mut layer = LayerBuilder::new("n", 4096);
    let properties = [
        ("neg", PropertyValue::Int(-300)),
        ("pos", PropertyValue::Int(300)),
    ];
    layer.add_feature(None, &point! { x: 1, y: 1 }.into(), properties);
    let bytes = encode_tile(&[layer.build()]);
    // sint_value (field 6) of zigzag(-300) = 599, uint_value (field 5) of 300.
    assert!(bytes.windows(5).any(|w| w == [0x22, 3, 0x30, 0xD7, 0x04]));
    assert!(bytes.windows(5).any(|w| w == [0x22, 3, 0x28, 0xAC, 0x02]));
    let decoded = decode_tile(&bytes).expect("decodes");
    assert_eq!(
        decoded[0].values,
        vec![PropertyValue::Int(-300), PropertyValue::UInt(300)]
    );
}

#[test]
fn features_without_geometry_are_skipped() {
    let mut layer = LayerBuilder::new("units", 4096);
    let collapsed = polygon![(x: 0, y: 0), (x: 5, y: 5), (x: 10, y: 10)];
    assert!(!layer.add_feature(Some(1), &collapsed.into(), [("a", PropertyValue::from(1))]));
    assert!(!layer.add_feature(
        Some(2),
        &MultiPolygon::<i32>::new(vec![]).into(),
        Vec::<(&str, PropertyValue)>::new()
    ));
    assert!(layer.is_empty());
    let layer = layer.build();
    assert!(layer.is_empty());
    assert!(
        encode_tile(&[layer]).is_empty(),
        "empty layers are left out"
    );
}

#[test]
fn a_layer_name_already_in_the_tile_is_left_out() {
    let layer = |name: &str, x: i32| {
        let mut b = LayerBuilder::new(name, 4096);
        b.add_feature(
            None,
            &point! { x: x, y: 0 }.into(),
            Vec::<(&str, PropertyValue)>::new(),
        );
        b.build()
    };
    let bytes = encode_tile(&[layer("units", 1), layer("reports", 2), layer("units", 3)]);
    let decoded = decode_tile(&bytes).expect("decodes");
    let names: Vec<&str> = decoded.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, vec!["units", "reports"]);
    assert_eq!(
        decoded[0].features[0].geometry(),
        Ok(point! { x: 1, y: 0 }.into())
    );
}

#[test]
fn decoder_reads_the_spec_multi_polygon_as_two_polygons_one_with_a_hole() {
    let commands = [
        9, 0, 0, 26, 20, 0, 0, 20, 19, 0, 15, 9, 22, 2, 26, 18, 0, 0, 18, 17, 0, 15, 9, 4, 13, 26,
        0, 8, 8, 0, 0, 7, 15,
    ];
    let Ok(TileGeometry::Polygons(polygons)) = decode_geometry(3, &commands) else {
        panic!("does not decode");
    };
    assert_eq!(polygons.0.len(), 2);
    assert_eq!(polygons.0[1].interiors().len(), 1);
    assert_eq!(
        polygons.0[1].interiors()[0].0[0],
        geo_types::coord! { x: 13, y: 13 }
    );
}

#[test]
fn decoder_rejects_what_the_spec_forbids() {
    assert!(
        decode_geometry(2, &[9, 4, 4, 10, 0, 0]).is_err(),
        "zero-length LineTo"
    );
    assert!(
        decode_geometry(3, &[9, 0, 0, 26, 20, 0, 0, 20, 19, 19, 15]).is_err(),
        "repeated closing point"
    );
}
