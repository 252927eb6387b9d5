//! Command implementations behind the `feedmap` binary, kept in the library
//! so tests drive the same code users run.

use crate::region::{LoadOptions, Region, RegionError};
use std::io::Write;
use std::path::Path;

/// Validates a region and writes a human report to `out`. Returns whether
/// the region is valid (the binary exits non-zero when it is not).
pub fn validate(dir: &Path, repair: bool, out: &mut dyn Write) -> std::io::Result<bool> {
    let options = LoadOptions {
        repair,
        ..LoadOptions::default()
    };
    match Region::load_with(dir, options) {
        Ok(region) => {
            for note in &region.notes {
                writeln!(out, "note: {note}")?;
            }
            for layer in &region.layers {
                writeln!(
                    out,
                    "ok: layer {} ({}): {} areas from {}",
                    layer.id,
                    layer.role.as_str(),
                    layer.areas.len(),
                    layer.source.display()
                )?;
            }
            writeln!(
                out,
                "valid: region {:?}, {} layers, {} parent/child relations",
                region.name,
                region.layers.len(),
                region.relations.all.len()
            )?;
            Ok(true)
        }
        Err(RegionError::Invalid { manifest, problems }) => {
            for p in &problems {
                writeln!(out, "error: {p}")?;
            }
            writeln!(
                out,
                "invalid: {} problem(s) in region {}",
                problems.len(),
                manifest.display()
            )?;
            Ok(false)
        }
        Err(e) => {
            writeln!(out, "error: {e}")?;
            writeln!(out, "invalid: the manifest could not be used")?;
            Ok(false)
        }
    }
}
