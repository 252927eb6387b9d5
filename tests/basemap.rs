//! The offline base map: the PMTiles archive checked at start (every
//! refusal names the file and why), and the glyphs and sprite the
//! Protomaps style asks feedmap for.

use feedmap::basemap::{glyphs, sprite, Basemap, BasemapError};
use std::path::{Path, PathBuf};

const HEADER_LEN: usize = 127;

#[test]
fn glyph_ranges_are_checked_and_fonts_fall_back() {
    let regular = glyphs("Noto Sans Regular", "0-255.pbf").unwrap();
    assert!(regular.len() > 10_000, "{}", regular.len());
    let medium = glyphs("Noto Sans Medium,Noto Sans Regular", "0-255.pbf").unwrap();
    assert_ne!(medium, regular);
    // A font feedmap lacks falls back to the next in the stack, then
    // to Regular.
    assert_eq!(
        glyphs(
            "Noto Sans Devanagari Regular v1,Noto Sans Medium",
            "0-255.pbf"
        )
        .unwrap(),
        medium
    );
    assert_eq!(glyphs("Open Sans Bold", "0-255.pbf").unwrap(), regular);
    // Welsh: ŵ and ẁ.
    assert!(!glyphs("Noto Sans Regular", "256-511.pbf")
        .unwrap()
        .is_empty());
    assert!(!glyphs("Noto Sans Regular", "7680-7935.pbf")
        .unwrap()
        .is_empty());
    // A range not embedded is an empty set; a malformed one an error.
    assert_eq!(
        glyphs("Noto Sans Regular", "19968-20223.pbf").unwrap(),
        &[] as &[u8]
    );
    for bad in [
        "0-256.pbf",
        "1-256.pbf",
        "0-255",
        "a-b.pbf",
        "65536-65791.pbf",
    ] {
        assert!(glyphs("Noto Sans Regular", bad).is_err(), "{bad}");
    }
}

#[test]
fn sprites_have_their_media_types() {
    assert_eq!(sprite("sprite.json").unwrap().1, "application/json");
    assert_eq!(sprite("sprite@2x.png").unwrap().1, "image/png");
    let index: serde_json::Value =
        serde_json::from_slice(sprite("sprite.json").unwrap().0).unwrap();
    assert!(index["townspot"]["width"].as_u64().unwrap() > 0);
    assert!(sprite("../Cargo.toml").is_none());
}

fn archive(dir: &Path, header: impl FnOnce(&mut [u8; HEADER_LEN]), meta: &[u8]) -> PathBuf {
    let mut h = [0u8; HEADER_LEN];
    h[0..7].copy_from_slice(b"PMTiles");
    h[7] = 3;
    h[24..32].copy_from_slice(&(HEADER_LEN as u64).to_le_bytes());
    h[32..40].copy_from_slice(&(meta.len() as u64).to_le_bytes());
    h[97] = 1;
    h[98] = 1;
    h[99] = 1;
    h[100] = 0;
    h[101] = 14;
    for (i, v) in [(102, -2.5), (106, 53.3), (110, -2.2), (114, 53.5)] {
        h[i..i + 4].copy_from_slice(&((v * 1e7) as i32).to_le_bytes());
    }
    header(&mut h);
    let path = dir.join("map.pmtiles");
    let mut bytes = h.to_vec();
    bytes.extend_from_slice(meta);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_vector_archive_is_read_and_others_refused_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let meta = br#"{"attribution":"OS data","vector_layers":[{"id":"earth"},{"id":"places"}]}"#;
    let ok = Basemap::open(&archive(dir.path(), |_| {}, meta)).unwrap();
    assert_eq!((ok.min_zoom, ok.max_zoom), (0, 14));
    assert!((ok.bounds[1] - 53.3).abs() < 1e-6);
    assert_eq!(ok.attribution.as_deref(), Some("OS data"));
    assert!(ok.is_protomaps());
    assert!(ok.covers([-2.4, 53.35, -2.3, 53.45]));
    assert!(!ok.covers([-2.6, 53.35, -2.3, 53.45]));
    let refused = |f: fn(&mut [u8; HEADER_LEN]), why: &str| {
        let e = Basemap::open(&archive(dir.path(), f, meta))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(why) && e.contains("map.pmtiles") && e.contains("pmtiles extract"),
            "{e}"
        );
    };
    refused(|h| h[0] = b'X', "not a PMTiles archive");
    refused(|h| h[7] = 2, "version 2");
    refused(|h| h[99] = 2, "PNG images");
    refused(|h| h[97] = 3, "brotli");
    refused(|h| h[32] = 200, "runs past the end");
    let e = Basemap::open(&dir.path().join("none.pmtiles")).unwrap_err();
    assert!(matches!(e, BasemapError::Read { .. }), "{e}");
}

/// `feedmap serve --basemap` with a file that is not a base map stops
/// before listening, naming the file and why, and says how to cut one.
#[test]
fn serve_refuses_a_wrong_base_map_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("force.mbtiles");
    std::fs::write(&wrong, b"SQLite format 3\0 and more bytes than a header needs, padded out to well over one hundred and twenty-seven bytes so only the magic is wrong").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--basemap")
        .arg(&wrong)
        .env_remove("FEEDMAP_BASEMAP_STYLE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stdout.contains("listening"), "{stdout}");
    assert!(
        stderr.contains("force.mbtiles")
            && stderr.contains("not a PMTiles archive")
            && stderr.contains("pmtiles extract"),
        "{stderr}"
    );
}
