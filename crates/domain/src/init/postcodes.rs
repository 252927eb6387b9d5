//! A postcode directory (the whole-UK ONSPD, or any CSV with a postcode,
//! a latitude and a longitude) clipped to one force, streamed.

use super::request::InitError;
use std::path::Path;

/// Keeps the postcodes of a directory (ONSPD or any CSV with a postcode,
/// a latitude and a longitude column) that lie within `extent`, writing
/// `postcode,lat,lon,terminated`. Streams: a national file (2.7 million
/// rows) never sits in memory. Returns (kept, read).
pub fn clip_postcodes(
    file: &Path,
    extent: [f64; 4],
    to: &Path,
) -> Result<(usize, usize), InitError> {
    let bad = |reason: String| InitError::Postcodes {
        file: file.to_path_buf(),
        reason,
    };
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let reader = std::fs::File::open(file).map_err(|e| bad(e.to_string()))?;
    let bar = feedmap_geography::progress::bar(size as usize, "clipping postcodes");
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(bar.wrap_read(reader));
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let postcode = find(&["pcds", "postcode", "pcd", "pcd2", "pcd7", "pcd8"]).ok_or_else(|| {
        bad(format!(
            "no postcode column (pcds, postcode, pcd); its columns: {}",
            header_list(&headers)
        ))
    })?;
    let lat = find(&["lat", "latitude"]).ok_or_else(|| {
        bad(format!(
            "no latitude column (lat, latitude); its columns: {}",
            header_list(&headers)
        ))
    })?;
    let lon = find(&["long", "lon", "longitude", "lng"]).ok_or_else(|| {
        bad(format!(
            "no longitude column (long, lon, longitude); its columns: {}",
            header_list(&headers)
        ))
    })?;
    let doterm = find(&["doterm", "terminated"]);
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(1 << 20)
        .from_path(to)
        .map_err(|e| bad(e.to_string()))?;
    w.write_record(["postcode", "lat", "lon", "terminated"])
        .map_err(|e| bad(e.to_string()))?;
    let (mut kept, mut read) = (0, 0);
    let mut row = csv::ByteRecord::new();
    while r
        .read_byte_record(&mut row)
        .map_err(|e| bad(e.to_string()))?
    {
        read += 1;
        let num = |i: usize| {
            row.get(i)
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(|s| s.trim().parse::<f64>().ok())
        };
        let (Some(y), Some(x)) = (num(lat), num(lon)) else {
            continue;
        };
        if x < extent[0] || x > extent[2] || y < extent[1] || y > extent[3] {
            continue;
        }
        let field = |i: Option<usize>| i.and_then(|i| row.get(i)).unwrap_or(b"");
        w.write_record([
            field(Some(postcode)),
            field(Some(lat)),
            field(Some(lon)),
            field(doterm),
        ])
        .map_err(|e| bad(e.to_string()))?;
        kept += 1;
    }
    bar.finish_and_clear();
    w.flush().map_err(|e| bad(e.to_string()))?;
    Ok((kept, read))
}

fn header_list(h: &csv::StringRecord) -> String {
    h.iter().take(12).collect::<Vec<_>>().join(", ")
}
