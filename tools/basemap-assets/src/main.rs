//! Makes the offline base map's assets in `web/basemap/`, which the server
//! embeds so MapLibre never fetches glyphs or a sprite from the internet:
//!
//! - `fonts/{Noto Sans Regular,Noto Sans Medium,Noto Sans Italic}/{range}.pbf`:
//!   MapLibre SDF glyph PBFs (size 24, buffer 3, radius 8, cutoff 0.25, as
//!   node-fontnik) for the ranges in [`RANGES`], rendered with FreeType from
//!   Debian's Noto Sans TTFs (fonts-noto-core, and fonts-noto-extra for
//!   Medium); the fontstack name in each PBF is its folder's name.
//! - `sprite.{json,png}` and `sprite@2x.{json,png}`: the icons in [`ICONS`],
//!   drawn here with 8×8 supersampled antialiasing.
//!
//! Rerun from the repository root (then commit `web/basemap/`):
//!
//! ```text
//! cargo run --release --manifest-path tools/basemap-assets/Cargo.toml
//! cargo run --release --manifest-path tools/basemap-assets/Cargo.toml -- --check
//! ```
//!
//! Medium is not in fonts-noto-core: `apt-get download fonts-noto-extra` and
//! `dpkg-deb -x fonts-noto-extra_20201225-1_all.deb /tmp/notoextra`.
//! Options: `--regular FILE`, `--medium FILE`, `--italic FILE` (the TTFs),
//! `--out DIR` (default `web/basemap`), `--check` (decode and verify only).

use pbf_font_tools::{glyph_range_for_font, Glyphs};
use prost::Message;
use std::{error::Error, fs, path::PathBuf};

/// The glyph ranges made: Latin-1, Latin Extended-A (Welsh ŵ ŷ) and -B,
/// Latin Extended Additional (Welsh ẁ ẃ ẅ ỳ), General Punctuation (dashes, quotes).
const RANGES: [u32; 5] = [0, 256, 512, 7680, 8192];
const SIZE: usize = 24; // the buffer, 3, is fixed inside pbf_font_tools
const RADIUS: usize = 8;
const CUTOFF: f64 = 0.25;
const REGULAR: &str = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf";
const MEDIUM: &str = "/tmp/notoextra/usr/share/fonts/truetype/noto/NotoSans-Medium.ttf";
const ITALIC: &str = "/usr/share/fonts/truetype/noto/NotoSans-Italic.ttf";
/// Characters that must be in a range's PBF (`--check`).
const PROBES: [&str; 5] = ["Aa0é£", "ŵŷŴŶő", "șț", "ẁẃẅỳ", "–—‘’“”…"];

type Paint = fn(f64, f64) -> Option<[u8; 3]>;
/// Sprite icons: name, size at 1x, colour at a point in 1x pixels.
const ICONS: [(&str, u32, u32, Paint); 3] = [
    ("townspot", 7, 7, |x, y| dot(x - 3.5, y - 3.5, 3.4, 0.0)),
    ("capital", 9, 9, |x, y| dot(x - 4.5, y - 4.5, 4.4, 1.9)),
    ("arrow", 10, 6, arrow),
];
const RING: [u8; 3] = [0x66; 3];
const CENTRE: [u8; 3] = [0x33; 3];

/// A white disc of radius `r` with a 1.2 px grey ring and a dark centre of radius `c`.
fn dot(dx: f64, dy: f64, r: f64, c: f64) -> Option<[u8; 3]> {
    let d = dx.hypot(dy);
    (d <= r).then_some(if d > r - 1.2 {
        RING
    } else if d <= c {
        CENTRE
    } else {
        [255; 3]
    })
}

/// A one-way arrow pointing right: a 1.8 px shaft and a triangular head.
fn arrow(x: f64, y: f64) -> Option<[u8; 3]> {
    let dy = (y - 3.0).abs();
    let shaft = (0.5..=5.5).contains(&x) && dy <= 0.9;
    let head = (4.5..=9.7).contains(&x) && dy <= 2.8 * (9.7 - x) / 5.2;
    (shaft || head).then_some(RING)
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut out = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/basemap"));
    let mut fonts = [
        ("Noto Sans Regular", REGULAR.to_string()),
        ("Noto Sans Medium", MEDIUM.to_string()),
        ("Noto Sans Italic", ITALIC.to_string()),
    ];
    let mut check = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--check" => check = true,
            "--out" => out = value()?.into(),
            "--regular" => fonts[0].1 = value()?,
            "--medium" => fonts[1].1 = value()?,
            "--italic" => fonts[2].1 = value()?,
            _ => return Err(format!("unknown argument {arg}; see the module doc").into()),
        }
    }
    if !check {
        for (name, path) in &fonts {
            fs::create_dir_all(out.join("fonts").join(name))?;
            for start in RANGES {
                let mut glyphs =
                    glyph_range_for_font(path, start, start + 255, SIZE, RADIUS, CUTOFF)?;
                glyphs.stacks.truncate(1);
                glyphs.stacks[0].name = name.to_string();
                fs::write(out.join(pbf(name, start)), glyphs.encode_to_vec())?;
            }
        }
        for (ratio, stem) in [(1, "sprite"), (2, "sprite@2x")] {
            let (json, png) = sprite(ratio)?;
            fs::write(out.join(format!("{stem}.json")), json)?;
            fs::write(out.join(format!("{stem}.png")), png)?;
        }
    }
    verify(&out, &fonts.map(|(name, _)| name))
}

/// Where a fontstack's glyph range starting at `start` is written.
fn pbf(name: &str, start: u32) -> String {
    format!("fonts/{name}/{start}-{}.pbf", start + 255)
}

/// Lays the icons out left to right, 1 px apart, at `ratio`; returns the JSON and PNG.
fn sprite(ratio: u32) -> Result<(String, Vec<u8>), Box<dyn Error>> {
    const SS: u32 = 8;
    let width = ICONS.iter().map(|i| i.1 + 1).sum::<u32>() * ratio - ratio;
    let height = ICONS.iter().map(|i| i.2).max().unwrap() * ratio;
    let mut rgba = vec![0u8; (width * height * 4) as usize];
    let (mut json, mut x0) = (String::from("{\n"), 0);
    for (n, (name, w, h, paint)) in ICONS.iter().enumerate() {
        let comma = if n + 1 < ICONS.len() { "," } else { "" };
        let (w, h) = (w * ratio, h * ratio);
        json += &format!("  \"{name}\": {{\"x\": {x0}, \"y\": 0, \"width\": {w}, \"height\": {h}, \"pixelRatio\": {ratio}}}{comma}\n");
        for (px, py) in (0..h).flat_map(|y| (0..w).map(move |x| (x, y))) {
            let (mut sum, mut hits) = ([0u32; 3], 0);
            for (sx, sy) in (0..SS).flat_map(|y| (0..SS).map(move |x| (x, y))) {
                let at = |p: u32, s: u32| (p as f64 + (s as f64 + 0.5) / SS as f64) / ratio as f64;
                if let Some(c) = paint(at(px, sx), at(py, sy)) {
                    (0..3).for_each(|k| sum[k] += c[k] as u32);
                    hits += 1;
                }
            }
            if hits > 0 {
                let i = ((py * width + x0 + px) * 4) as usize;
                let c = sum.map(|s| ((s + hits / 2) / hits) as u8);
                rgba[i..i + 3].copy_from_slice(&c);
                rgba[i + 3] = ((hits * 255 + SS * SS / 2) / (SS * SS)) as u8;
            }
        }
        x0 += w + ratio;
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&rgba)?;
    Ok((json + "}\n", png))
}

/// Decodes every PBF and sprite PNG back and prints what it holds.
fn verify(out: &std::path::Path, names: &[&str]) -> Result<(), Box<dyn Error>> {
    for name in names {
        for (start, probes) in RANGES.iter().zip(PROBES) {
            let (end, file) = (start + 255, pbf(name, *start));
            let bytes = fs::read(out.join(&file))?;
            let glyphs = Glyphs::decode(bytes.as_slice()).map_err(|e| format!("{file}: {e}"))?;
            let [stack] = glyphs.stacks.as_slice() else {
                return Err(format!("{file}: not one fontstack").into());
            };
            if stack.name != *name || stack.range != format!("{start}-{end}") {
                return Err(format!("{file}: {:?} {:?}", stack.name, stack.range).into());
            }
            for g in &stack.glyphs {
                let want = ((g.width + 6) * (g.height + 6)) as usize;
                let len = g.bitmap.as_ref().map_or(0, Vec::len);
                if !(*start..=end).contains(&g.id) || len != want {
                    return Err(format!("{file}: glyph {}: {len} bytes ≠ {want}", g.id).into());
                }
            }
            let ids: Vec<u32> = stack.glyphs.iter().map(|g| g.id).collect();
            let missing: Vec<char> = probes
                .chars()
                .filter(|c| !ids.contains(&(*c as u32)))
                .collect();
            if !missing.is_empty() {
                return Err(format!("{file}: missing {missing:?}").into());
            }
            let n = stack.glyphs.len();
            println!("{file}: {} bytes, {n} glyphs, has {probes}", bytes.len());
        }
    }
    for (ratio, stem) in [(1, "sprite"), (2, "sprite@2x")] {
        let bytes = fs::read(out.join(format!("{stem}.png")))?;
        let info = png::Decoder::new(std::io::Cursor::new(&bytes))
            .read_info()?
            .info()
            .clone();
        let json = fs::read_to_string(out.join(format!("{stem}.json")))?;
        if (json, bytes) != sprite(ratio)? {
            return Err(format!("{stem}.{{json,png}} differ from the drawing code").into());
        }
        let (w, h, icons) = (info.width, info.height, ICONS.map(|i| i.0));
        println!(
            "{stem}.png: {w}×{h} {:?}, icons {icons:?}, as drawn",
            info.color_type
        );
    }
    Ok(())
}
