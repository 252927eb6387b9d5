//! Boundary and table files as they go into the region folder: copied,
//! or clipped to the neighbourhoods' extent when they reach beyond it (a
//! national file).

use super::request::{io, InitError};
use feedmap_geography::inspect::{self, Inspection, Pick};
use std::collections::HashSet;
use std::path::Path;

/// A margin around the neighbourhoods when clipping, in degrees (about
/// 2 km): areas and postcodes just over the edge stay.
pub(super) const CLIP_MARGIN_DEG: f64 = 0.03;

/// Whether a lon/lat box meets the extent.
pub(super) fn meets(b: [f64; 4], extent: [f64; 4]) -> bool {
    b[0] <= extent[2] && b[2] >= extent[0] && b[1] <= extent[3] && b[3] >= extent[1]
}

/// A layer's file as placed in the region folder.
pub(super) struct Placed {
    /// Its name there.
    pub file: String,
    /// The ids of the areas kept, when clipped.
    pub kept: Option<HashSet<String>>,
    /// How many areas the file had, when clipped.
    pub clipped: Option<usize>,
}

/// Puts a layer's file into the region folder: a KML folder or file as it
/// is; a GeoJSON file clipped to `extent` when some of its features lie
/// beyond it. Returns the name inside the folder, the ids of the areas
/// kept when clipped (by `id_pick`), and how many there were.
pub(super) fn place_file(
    path: &Path,
    ins: &Inspection,
    id_pick: &Pick,
    id: &str,
    role: &str,
    extent: Option<[f64; 4]>,
    work: &Path,
) -> Result<Placed, InitError> {
    match ins.format {
        inspect::Format::KmlFolder(_) => {
            let to = work.join(id);
            std::fs::create_dir_all(&to).map_err(io(format!("creating {}", to.display())))?;
            for e in std::fs::read_dir(path).map_err(io(format!("reading {}", path.display())))? {
                let e = e.map_err(io(format!("reading {}", path.display())))?;
                if e.path()
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("kml"))
                {
                    std::fs::copy(e.path(), to.join(e.file_name()))
                        .map_err(io(format!("copying {}", e.path().display())))?;
                }
            }
            Ok(Placed {
                file: id.to_string(),
                kept: None,
                clipped: None,
            })
        }
        inspect::Format::Kml => {
            let name = format!("{id}.kml");
            std::fs::copy(path, work.join(&name))
                .map_err(io(format!("copying {}", path.display())))?;
            Ok(Placed {
                file: name,
                kept: None,
                clipped: None,
            })
        }
        inspect::Format::GeoJson => {
            let name = format!("{id}.geojson");
            let beyond = role != "neighbourhood"
                && extent.is_some_and(|x| {
                    ins.extent.is_some_and(|e| {
                        !(e[0] >= x[0] && e[1] >= x[1] && e[2] <= x[2] && e[3] <= x[3])
                    })
                });
            if !beyond {
                std::fs::copy(path, work.join(&name))
                    .map_err(io(format!("copying {}", path.display())))?;
                return Ok(Placed {
                    file: name,
                    kept: None,
                    clipped: None,
                });
            }
            let extent = extent.expect("checked");
            let text = std::fs::read(path).map_err(io(format!("reading {}", path.display())))?;
            let mut doc: serde_json::Value =
                serde_json::from_slice(&text).map_err(|e| InitError::Unreadable {
                    file: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
            let features = doc
                .get_mut("features")
                .and_then(|f| f.as_array_mut())
                .map(std::mem::take)
                .unwrap_or_default();
            let total = features.len();
            let mut kept = HashSet::new();
            let mut keep = Vec::new();
            for f in features {
                let b = f
                    .get("geometry")
                    .and_then(|g| g.get("coordinates"))
                    .and_then(bounds);
                let b = b.map(|b| {
                    let (w, s) = ins.crs.to_wgs84(b[0], b[1]);
                    let (e, n) = ins.crs.to_wgs84(b[2], b[3]);
                    [w.min(e), s.min(n), w.max(e), s.max(n)]
                });
                // A feature without geometry is kept: validation names it.
                if b.is_none_or(|b| meets(b, extent)) {
                    let key = match id_pick {
                        Pick::Property(p) => f.get("properties").and_then(|q| q.get(p)),
                        _ => f.get("id"),
                    };
                    if let Some(k) = key.and_then(inspect::text) {
                        kept.insert(k);
                    }
                    keep.push(f);
                }
            }
            doc["features"] = serde_json::Value::Array(keep);
            let file =
                std::fs::File::create(work.join(&name)).map_err(io(format!("writing {name}")))?;
            serde_json::to_writer(std::io::BufWriter::new(file), &doc).map_err(|e| {
                InitError::Io {
                    what: format!("writing {name}"),
                    source: e.into(),
                }
            })?;
            Ok(Placed {
                file: name,
                kept: Some(kept),
                clipped: Some(total),
            })
        }
    }
}

/// The bounding box of a GeoJSON `coordinates` value, in its own units.
pub(super) fn bounds(v: &serde_json::Value) -> Option<[f64; 4]> {
    fn walk(v: &serde_json::Value, b: &mut Option<[f64; 4]>) {
        let Some(a) = v.as_array() else { return };
        if let (Some(x), Some(y)) = (
            a.first().and_then(|x| x.as_f64()),
            a.get(1).and_then(|y| y.as_f64()),
        ) {
            let bb = b.get_or_insert([x, y, x, y]);
            bb[0] = bb[0].min(x);
            bb[1] = bb[1].min(y);
            bb[2] = bb[2].max(x);
            bb[3] = bb[3].max(y);
            return;
        }
        for c in a {
            walk(c, b);
        }
    }
    let mut b = None;
    walk(v, &mut b);
    b
}

/// Copies the header and the rows `keep` accepts from one CSV file to
/// another; the rows kept.
pub(super) fn copy_rows(
    from: &Path,
    to: &Path,
    keep: impl Fn(&csv::StringRecord) -> bool,
) -> Result<usize, InitError> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(from)
        .map_err(|e| InitError::Unreadable {
            file: from.to_path_buf(),
            reason: e.to_string(),
        })?;
    let mut w = csv::Writer::from_path(to).map_err(|e| InitError::Io {
        what: format!("writing {}", to.display()),
        source: std::io::Error::other(e),
    })?;
    let csv_io = |e: csv::Error| InitError::Io {
        what: format!("copying {}", from.display()),
        source: std::io::Error::other(e),
    };
    w.write_record(r.headers().map_err(csv_io)?)
        .map_err(csv_io)?;
    let mut n = 0;
    for row in r.records() {
        let row = row.map_err(csv_io)?;
        if keep(&row) {
            w.write_record(&row).map_err(csv_io)?;
            n += 1;
        }
    }
    w.flush().map_err(io(format!("writing {}", to.display())))?;
    Ok(n)
}
