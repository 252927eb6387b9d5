//! An offline base map for the planners' map: a PMTiles archive of vector
//! tiles in the Protomaps basemap schema (`--basemap FILE.pmtiles`), read
//! by the page itself through HTTP range requests, and the glyphs and
//! sprite its Protomaps style needs, embedded in the binary so nothing is
//! fetched from elsewhere.
//!
//! [`Basemap::open`] reads and checks the archive's header (PMTiles
//! version 3, vector tiles, directories the browser can read) and its
//! metadata (attribution, layers) once at start, so a wrong file is
//! refused with its reason before the server listens, not found out as a
//! blank map. The tiles themselves are never decoded here.
//!
//! Format: <https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md>.
//! Bounds are WGS84 degrees; zooms are web map zoom levels.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Length of a PMTiles version 3 header, in bytes.
const HEADER_LEN: usize = 127;

/// How far, in degrees (about 100 m), a region may reach past a base
/// map's bounds before the map is said to be bare there: bounds are
/// stored to 1e-7° and drawn from the tiles' own edges.
pub const COVER_SLACK_DEG: f64 = 0.001;

/// Where a force gets an extract of its area, said in every refusal.
const HOW_TO_CUT: &str = "cut one for your area once with the pmtiles tool, e.g. `pmtiles extract https://build.protomaps.com/YYYYMMDD.pmtiles area.pmtiles --bbox=W,S,E,N` (see the operators' guide, Base map)";

/// A checked PMTiles base map.
#[derive(Debug, Clone)]
pub struct Basemap {
    /// The archive.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Lowest and highest zoom it holds tiles for.
    pub min_zoom: u8,
    /// See `min_zoom`.
    pub max_zoom: u8,
    /// West, south, east, north in degrees.
    pub bounds: [f64; 4],
    /// Who to credit, from the archive's metadata (HTML as Protomaps
    /// writes it), if it says.
    pub attribution: Option<String>,
    /// The vector layers its metadata names (`earth`, `roads`, …).
    pub layers: Vec<String>,
}

/// Why a base map cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BasemapError {
    /// The file cannot be read.
    #[error("base map {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file is not a base map feedmap can draw.
    #[error("base map {}: {reason}; {HOW_TO_CUT}", path.display())]
    Unusable {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// Names of the PMTiles compression codes.
fn compression(code: u8) -> &'static str {
    match code {
        1 => "none",
        2 => "gzip",
        3 => "brotli",
        4 => "zstd",
        _ => "unknown",
    }
}

impl Basemap {
    /// Opens and checks `path`: a PMTiles version 3 archive of vector
    /// tiles (MVT) whose directories are uncompressed or gzip (what
    /// browsers decompress), with its metadata read for the attribution
    /// and layer names.
    pub fn open(path: &Path) -> Result<Basemap, BasemapError> {
        let read = |error| BasemapError::Read {
            path: path.to_path_buf(),
            error,
        };
        let unusable = |reason: String| BasemapError::Unusable {
            path: path.to_path_buf(),
            reason,
        };
        let mut file = std::fs::File::open(path).map_err(read)?;
        let bytes = file.metadata().map_err(read)?.len();
        let mut h = [0u8; HEADER_LEN];
        if bytes < HEADER_LEN as u64 {
            return Err(unusable(format!(
                "{bytes} bytes is too short for a PMTiles archive"
            )));
        }
        file.read_exact(&mut h).map_err(read)?;
        if &h[0..7] != b"PMTiles" {
            return Err(unusable(
                "not a PMTiles archive (it does not start with \"PMTiles\"); MBTiles and style files are not base maps here".into(),
            ));
        }
        if h[7] != 3 {
            return Err(unusable(format!(
                "PMTiles version {} (feedmap reads version 3; convert with `pmtiles convert`)",
                h[7]
            )));
        }
        let u64_at = |i: usize| u64::from_le_bytes(h[i..i + 8].try_into().unwrap_or_default());
        let deg_at = |i: usize| {
            f64::from(i32::from_le_bytes(
                h[i..i + 4].try_into().unwrap_or_default(),
            )) / 1e7
        };
        let (internal, tiles, kind) = (h[97], h[98], h[99]);
        if kind != 1 {
            let what = match kind {
                2 => "PNG images",
                3 => "JPEG images",
                4 => "WebP images",
                5 => "AVIF images",
                _ => "tiles of an unknown type",
            };
            return Err(unusable(format!(
                "it holds {what}; the map draws a vector base map (Protomaps basemap tiles, MVT)"
            )));
        }
        if !matches!(internal, 1 | 2) || !matches!(tiles, 1 | 2) {
            return Err(unusable(format!(
                "its directories are {}-compressed and its tiles {}-compressed; browsers read only gzip or none (rewrite it with `pmtiles convert`)",
                compression(internal),
                compression(tiles)
            )));
        }
        for (what, offset, len) in [
            ("root directory", u64_at(8), u64_at(16)),
            ("metadata", u64_at(24), u64_at(32)),
            ("leaf directories", u64_at(40), u64_at(48)),
            ("tile data", u64_at(56), u64_at(64)),
        ] {
            if offset.checked_add(len).is_none_or(|end| end > bytes) {
                return Err(unusable(format!(
                    "its {what} ({len} bytes at {offset}) runs past the end of the file ({bytes} bytes): truncated?"
                )));
            }
        }
        let (min_zoom, max_zoom) = (h[100], h[101]);
        if min_zoom > max_zoom {
            return Err(unusable(format!(
                "its zooms run from {min_zoom} down to {max_zoom}"
            )));
        }
        let bounds = [deg_at(102), deg_at(106), deg_at(110), deg_at(114)];
        let (meta_offset, meta_len) = (u64_at(24), u64_at(32));
        // Metadata is a few kilobytes; a huge one is not a base map's.
        if meta_len > 16 * 1024 * 1024 {
            return Err(unusable(format!("its metadata is {meta_len} bytes")));
        }
        let mut raw = vec![0u8; meta_len as usize];
        file.seek(SeekFrom::Start(meta_offset)).map_err(read)?;
        file.read_exact(&mut raw).map_err(read)?;
        let text = if internal == 2 && !raw.is_empty() {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .map_err(|e| unusable(format!("its metadata does not unzip: {e}")))?;
            out
        } else {
            raw
        };
        let meta: serde_json::Value = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&text)
                .map_err(|e| unusable(format!("its metadata is not JSON: {e}")))?
        };
        let attribution = meta["attribution"]
            .as_str()
            .filter(|a| !a.trim().is_empty())
            .map(str::to_string);
        let layers = meta["vector_layers"]
            .as_array()
            .map(|ls| {
                ls.iter()
                    .filter_map(|l| l["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Basemap {
            path: path.to_path_buf(),
            bytes,
            min_zoom,
            max_zoom,
            bounds,
            attribution,
            layers,
        })
    }

    /// Whether the metadata names the layers of the Protomaps basemap
    /// schema the style draws (`earth` at least). Archives without a
    /// layer list are given the benefit of the doubt.
    pub fn is_protomaps(&self) -> bool {
        self.layers.is_empty() || self.layers.iter().any(|l| l == "earth")
    }

    /// Whether the archive's bounds hold all of `extent` (west, south,
    /// east, north in degrees), give or take [`COVER_SLACK_DEG`].
    pub fn covers(&self, extent: [f64; 4]) -> bool {
        let (b, e, d) = (self.bounds, extent, COVER_SLACK_DEG);
        b[0] <= e[0] + d && b[1] <= e[1] + d && b[2] >= e[2] - d && b[3] >= e[3] - d
    }
}

/// One embedded asset: its path under `/basemap/` and its bytes.
type Asset = (&'static str, &'static [u8]);

macro_rules! assets {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/basemap/", $name)))),*]
    };
}

/// The glyphs (SDF, 256 code points a file) of the three Noto Sans fonts
/// the Protomaps style names, for the ranges of English and Welsh names:
/// Latin with its extensions, Welsh ŵ/ŷ/ẁ, and punctuation.
const GLYPHS: &[Asset] = assets![
    "fonts/Noto Sans Regular/0-255.pbf",
    "fonts/Noto Sans Regular/256-511.pbf",
    "fonts/Noto Sans Regular/512-767.pbf",
    "fonts/Noto Sans Regular/7680-7935.pbf",
    "fonts/Noto Sans Regular/8192-8447.pbf",
    "fonts/Noto Sans Medium/0-255.pbf",
    "fonts/Noto Sans Medium/256-511.pbf",
    "fonts/Noto Sans Medium/512-767.pbf",
    "fonts/Noto Sans Medium/7680-7935.pbf",
    "fonts/Noto Sans Medium/8192-8447.pbf",
    "fonts/Noto Sans Italic/0-255.pbf",
    "fonts/Noto Sans Italic/256-511.pbf",
    "fonts/Noto Sans Italic/512-767.pbf",
    "fonts/Noto Sans Italic/7680-7935.pbf",
    "fonts/Noto Sans Italic/8192-8447.pbf",
];

/// The sprite: the icons the style names (town spots, a one-way arrow),
/// at one and two pixels a point.
const SPRITE: &[Asset] = assets![
    "sprite.json",
    "sprite.png",
    "sprite@2x.json",
    "sprite@2x.png"
];

/// The font the style's other font stacks are drawn in.
const FALLBACK_FONT: &str = "Noto Sans Regular";

/// Why a glyph request has no answer.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GlyphError {
    /// The range is not `N-M` with `N` a multiple of 256 and `M = N + 255`.
    #[error("{0:?} is not a glyph range such as 0-255.pbf (256 code points starting at a multiple of 256)")]
    Range(String),
}

/// The glyphs of `range` (`0-255.pbf`) in the first font of `fontstack`
/// (comma-separated, as MapLibre asks) that feedmap has, else Noto Sans
/// Regular. A valid range outside the embedded ones is an empty glyph
/// set: MapLibre then draws those characters as nothing rather than
/// failing the label.
pub fn glyphs(fontstack: &str, range: &str) -> Result<&'static [u8], GlyphError> {
    let bad = || GlyphError::Range(range.to_string());
    let r = range.strip_suffix(".pbf").ok_or_else(bad)?;
    let (a, b) = r.split_once('-').ok_or_else(bad)?;
    let (a, b): (u32, u32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a % 256 != 0 || b != a + 255 || b > 65535 {
        return Err(bad());
    }
    let find = |font: &str| {
        let want = format!("fonts/{font}/{a}-{b}.pbf");
        let has_font = GLYPHS
            .iter()
            .any(|(p, _)| p.starts_with(&format!("fonts/{font}/")));
        has_font.then(|| {
            GLYPHS
                .iter()
                .find(|(p, _)| *p == want)
                .map_or(&[][..], |(_, b)| *b)
        })
    };
    Ok(fontstack
        .split(',')
        .find_map(|f| find(f.trim()))
        .or_else(|| find(FALLBACK_FONT))
        .unwrap_or(&[]))
}

/// A sprite file (`sprite.json`, `sprite@2x.png`, …) and its media type.
pub fn sprite(file: &str) -> Option<(&'static [u8], &'static str)> {
    SPRITE.iter().find(|(p, _)| *p == file).map(|(p, b)| {
        let media = if p.ends_with(".png") {
            "image/png"
        } else {
            "application/json"
        };
        (*b, media)
    })
}
