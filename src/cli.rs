//! Command implementations behind the `feedmap` binary, kept in the library
//! so tests drive the same code users run.

use crate::region::{LoadOptions, RegionError};
use crate::served::Served;
use crate::source::Source;
use std::io::Write;
use std::path::Path;

/// Validates a region and writes a human report to `out`. Returns whether
/// the region is valid (the binary exits non-zero when it is not).
pub fn validate(dir: &Path, repair: bool, out: &mut dyn Write) -> std::io::Result<bool> {
    let options = LoadOptions {
        repair,
        ..LoadOptions::default()
    };
    match Source::load_with(dir, options) {
        Ok(Source { region, .. }) => {
            for note in &region.notes {
                writeln!(out, "note: {note}")?;
            }
            for layer in region.layers.iter() {
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

/// Runs `feedmap feeds batch`: resolves every row of `input` (a file, or
/// `-` for stdin) and writes the answers to `output`, showing a progress bar
/// over the input bytes when stderr is an attended terminal.
pub fn feeds_batch(
    served: &Served,
    input: &Path,
    format: crate::batch::Format,
    output: &mut dyn Write,
) -> Result<crate::batch::BatchStats, crate::batch::BatchError> {
    let started = std::time::Instant::now();
    let stats = if input == Path::new("-") {
        crate::batch::run(
            served.today(),
            std::io::stdin().lock(),
            output,
            format,
            &mut |_| {},
        )?
    } else {
        let file = std::fs::File::open(input)?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let bar = crate::progress::bar(len as usize, "resolving");
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>12} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        let stats = crate::batch::run(
            served.today(),
            bar.wrap_read(std::io::BufReader::with_capacity(1 << 16, file)),
            output,
            format,
            &mut |_| {},
        )?;
        bar.finish_and_clear();
        stats
    };
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(
        rows = stats.rows,
        errors = stats.errors,
        rows_per_sec = (stats.rows as f64 / secs.max(1e-9)) as u64,
        "batch done"
    );
    Ok(stats)
}

/// Why `feedmap plan` could not run.
#[derive(Debug, thiserror::Error)]
pub enum PlanCommandError {
    /// A `--param` is malformed, unknown or out of range, or names a layer
    /// the region does not have.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// A `--param` is not `name=value`.
    #[error("--param {0:?} must be name=value, e.g. min_population=5000")]
    Malformed(String),
    /// Writing the output failed.
    #[error("writing the plan: {0}")]
    Write(#[from] std::io::Error),
    /// Writing the CSV failed.
    #[error("writing the plan CSV: {0}")]
    Csv(#[from] csv::Error),
    /// Serialising the JSON failed.
    #[error("writing the plan JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Parses `--param name=value` arguments into pairs, in order.
pub fn param_pairs(args: &[String]) -> Result<Vec<(String, String)>, PlanCommandError> {
    args.iter()
        .map(|a| {
            a.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| PlanCommandError::Malformed(a.clone()))
        })
        .collect()
}

/// Runs `feedmap plan`: writes the plan of `served` (its feeds, decisions
/// and saved parameters under the `--param` ones) as `json`, `geojson` or
/// `csv`.
pub fn plan(
    served: &Served,
    args: &[String],
    format: &str,
    out: &mut dyn Write,
) -> Result<(), PlanCommandError> {
    let params = served.params(&param_pairs(args)?)?;
    let started = std::time::Instant::now();
    let plan = served.plan(&params)?;
    tracing::info!(
        neighbourhoods = plan.summary.neighbourhoods,
        suggestions = plan.summary.suggestions,
        chosen = plan.summary.chosen,
        ms = started.elapsed().as_millis() as u64,
        "plan made"
    );
    if let Some(w) = &plan.population.warning {
        tracing::warn!("{w}");
    }
    match format {
        "geojson" => {
            crate::plan::export::write_geojson(&plan, served.region(), out)?;
            writeln!(out)?;
        }
        "csv" => out.write_all(&crate::plan::export::csv(&plan)?)?,
        _ => {
            serde_json::to_writer_pretty(&mut *out, &plan)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
