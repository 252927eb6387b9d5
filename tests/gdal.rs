//! Acceptance: GDAL, a client nobody here wrote, reads the layers through
//! OGC API – Features. Needs `ogrinfo`/`ogr2ogr` (Debian gdal-bin); reported
//! as ignored when absent (`build.rs` sets `feedmap_no_gdal`), except under
//! CI=true where it must run.

use crate::common;

use std::process::Command;

fn gdal_available() -> bool {
    let found = Command::new("ogrinfo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let msg = "ogrinfo (gdal-bin) is not installed";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}; CI must run the GDAL test (.ci/run installs gdal-bin)");
        }
        eprintln!("SKIPPED gdal test: {msg}");
    }
    found
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run GDAL");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

fn feature_count(ogrinfo_output: &str) -> u64 {
    ogrinfo_output
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no feature count in:\n{ogrinfo_output}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
#[cfg_attr(
    feedmap_no_gdal,
    ignore = "needs GDAL: ogrinfo and ogr2ogr on PATH (Debian gdal-bin)"
)]
fn gdal_reads_the_layers() {
    if !gdal_available() {
        return;
    }
    // The GM region when the data is here (215 wards), else the demo.
    let gm = common::gm_data("gdal_reads_the_layers (GM part)");
    let dir = gm
        .as_ref()
        .map(|d| common::region_dir(&common::gm_manifest(d)));
    let (region, layer, expected) = match &dir {
        Some(dir) => (dir.path().to_path_buf(), "wards", 215),
        None => (common::demo_region(), "communities", 37),
    };
    let server = Server::start(&region);
    let url = format!("OAPIF:{}/", server.base);
    let info = run(Command::new("ogrinfo").args(["-so", &url, layer]));
    assert_eq!(feature_count(&info), expected, "{info}");

    // Copy the collection into a GeoPackage (GDAL pages through `next`
    // links) and count what arrived.
    let out = tempfile::tempdir().unwrap();
    let gpkg = out.path().join("layer.gpkg");
    run(Command::new("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&gpkg)
        .args([&url, layer]));
    let info = run(Command::new("ogrinfo").args(["-so"]).arg(&gpkg).arg(layer));
    assert_eq!(feature_count(&info), expected, "{info}");
    assert!(info.contains("name: String"), "{info}");
}

use crate::common::Server;
