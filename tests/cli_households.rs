//! `wangge households import` on the embedded store: GBK with Chinese headers, bad rows by line
//! with exit code 2, a re-run that creates nothing.

use std::process::Command;

fn wangge(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn cli_import_reports_bad_lines_exits_2_and_reruns_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.gpkg");
    let db = db.to_str().unwrap();
    let (code, err) = wangge(&["import", "geodata/siming.geojson", "--database", db]);
    assert_eq!(code, 0, "{err}");
    let csv = "住址,门牌,姓名,联系电话,户人口,经度,纬度,标签\n\
        思明南路1号,101,测试甲,13800000001,2,118.0944,24.4772,低保户\n\
        思明南路1号,102,测试乙,13800000002,x,118.0944,24.4772,\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let file = dir.path().join("h.csv");
    std::fs::write(&file, &gbk).unwrap();
    let file = file.to_str().unwrap();
    let args = [
        "households",
        "import",
        file,
        "--database",
        db,
        "--crs",
        "gcj02",
    ];
    let (code, err) = wangge(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Gbk"), "{err}");
    assert!(err.contains("h.csv:3: size `x`"), "{err}");
    assert!(err.contains("1 created, 0 updated"), "{err}");
    let (code, err) = wangge(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("0 created, 1 updated"), "{err}");
}
