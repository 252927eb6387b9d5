//! Command implementations behind the `feedmap` binary, kept in the library
//! so tests drive the same code users run.

use crate::query::Query;
use crate::served::Served;
use crate::source::Source;
use feedmap_geography::region::{LoadOptions, RegionError};
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
                let residents: f64 = layer.areas.iter().filter_map(|a| a.population).sum();
                let with = layer
                    .areas
                    .iter()
                    .filter(|a| a.population.is_some())
                    .count();
                writeln!(
                    out,
                    "ok: layer {} ({}): {} areas from {}{}",
                    layer.id,
                    layer.role.as_str(),
                    layer.areas.len(),
                    layer.source.display(),
                    if with > 0 {
                        format!(
                            "; {} residents in the {with} with a population",
                            crate::plan::explain::thousands(residents)
                        )
                    } else {
                        String::new()
                    }
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
            for line in feedmap_geography::validate::grouped(&problems) {
                writeln!(out, "error: {line}")?;
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
    if served.feeds().feeds.is_empty() {
        tracing::warn!("{}", crate::query::NO_FEED_LIST);
    }
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
        let bar = feedmap_geography::progress::bar(len as usize, "resolving");
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
    let (parse, lookup, write) = stats.time.shares();
    tracing::info!(
        rows = stats.rows,
        errors = stats.errors,
        rows_per_sec = (stats.rows as f64 / secs.max(1e-9)) as u64,
        "batch done; time by stage (all threads): parse {parse:.0} %, lookup {lookup:.0} %, write {write:.0} %"
    );
    Ok(stats)
}

/// Why `feedmap discover` could not run.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// `--gap` or `--min-points` is out of range.
    #[error("{0}")]
    Params(String),
    /// The region has no residential points to discover settlements in.
    #[error("region {0:?} has no postcodes, addresses, population points or census areas to find settlements in; add a population layer of census output areas with their residents, or [postcodes], to its manifest")]
    NoPoints(String),
    /// Writing the output failed.
    #[error("writing the settlements: {0}")]
    Write(#[from] std::io::Error),
}

/// `feedmap discover`: the region's settlements as GeoJSON on `out` (a
/// built-up areas layer's places when it has one, saying so), a
/// summary through `tracing` (points, settlements, the time taken).
pub fn discover(
    source: &Source,
    params: feedmap_geography::settlements::DiscoverParams,
    out: &mut dyn Write,
) -> Result<(), DiscoverError> {
    params.check().map_err(DiscoverError::Params)?;
    let started = std::time::Instant::now();
    let found = source.geo().discover(params);
    if found.residential.is_empty() {
        return Err(DiscoverError::NoPoints(source.region.name.clone()));
    }
    tracing::info!(
        points = found.residential.len(),
        settlements = found.list.len(),
        ms = started.elapsed().as_millis() as u64,
        "settlements discovered"
    );
    if let Some(b) = &found.layer {
        tracing::warn!(
            layer = %b.layer,
            "the settlements are the places of the built-up areas layer, as published: --gap and --min-points do not apply (remove the layer from region.toml to find them instead)"
        );
    }
    serde_json::to_writer(&mut *out, &found.to_geojson()).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
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

/// Says that a command given no store answers from the region files
/// alone, so it may differ from the server: louder when `dir` (where
/// `feedmap serve` keeps planners' work by default) holds a store it is
/// leaving out.
pub fn note_unused_store(dir: &Path) {
    if dir.join("feedmap.sqlite").is_file() {
        tracing::warn!(
            "{} holds a store of planners' feeds, decisions, boundary releases and saved parameters; this answer is made without them: give --data-dir {} to include them",
            dir.display(),
            dir.display()
        );
    } else {
        tracing::warn!(
            "answering from the region files alone: feeds, decisions and boundary releases made through the API or the map are in the server's store; give --data-dir DIR or --store URL to answer as the server does"
        );
    }
}

/// Runs `feedmap plan`: writes the plan of `served` (its feeds, decisions
/// and saved parameters under the `--param` ones, residents' answers
/// `voice` as evidence) as `json`, `geojson` or `csv`.
pub fn plan(
    served: &Served,
    voice: Option<&crate::plan::VoiceEvidence>,
    args: &[String],
    format: &str,
    out: &mut dyn Write,
) -> Result<(), PlanCommandError> {
    let params = served.params(&param_pairs(args)?)?;
    let started = std::time::Instant::now();
    let plan = served.plan_with(&params, voice)?;
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
    if let Some(s) = &plan.shortlist {
        tracing::info!("{}", s.note);
    }
    // Missing data is warned of; what the data gave is in the plan.
    if let Some(note) = plan
        .settlements
        .as_ref()
        .filter(|s| s.from.is_none())
        .and_then(|s| s.note.as_ref())
    {
        tracing::warn!("{note}");
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

/// One `feedmap release` operation, as the command line gives it.
#[derive(Debug, Clone)]
pub enum ReleaseAction {
    /// Every generation (of one layer).
    List {
        /// Only this layer.
        layer: Option<String>,
    },
    /// Stage files as a new generation of a layer.
    Stage {
        /// The layer.
        layer: String,
        /// Label.
        label: String,
        /// Id property override.
        id_property: Option<String>,
        /// Name property override.
        name_property: Option<String>,
        /// The files to read.
        files: Vec<std::path::PathBuf>,
    },
    /// A release's diff in `format` (`json`, `csv`, `geojson`).
    Diff {
        /// Release id.
        id: i64,
        /// Output format.
        format: String,
    },
    /// The successor proposals.
    Proposals {
        /// Release id.
        id: i64,
        /// The share a successor needs.
        successor_share: f64,
    },
    /// Confirm or choose one successor.
    Confirm {
        /// Release id.
        id: i64,
        /// `feed:ID` or `decision:ID`.
        subject: String,
        /// What.
        choice: crate::releases::Choice,
    },
    /// Activate from a date (default today).
    Activate {
        /// Release id.
        id: i64,
        /// `YYYY-MM-DD`.
        valid_from: Option<String>,
    },
    /// Withdraw a staged release.
    Withdraw {
        /// Release id.
        id: i64,
    },
}

impl ReleaseAction {
    /// Whether it writes (and so needs a planner).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            ReleaseAction::Stage { .. }
                | ReleaseAction::Confirm { .. }
                | ReleaseAction::Activate { .. }
                | ReleaseAction::Withdraw { .. }
        )
    }
}

/// Why `feedmap release` failed.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseCommandError {
    /// The operation was refused.
    #[error(transparent)]
    Release(#[from] crate::releases::ReleaseError),
    /// A read of proposals or a diff failed.
    #[error(transparent)]
    Proposal(#[from] crate::successors::ProposalError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] feedmap_store::StoreError),
    /// A file could not be read.
    #[error("reading {}: {source}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Writing the answer failed.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// Writing the answer failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A write without a planner.
    #[error("this operation writes: it needs a planner token")]
    NoPlanner,
}

fn json_line<E: From<std::io::Error> + From<serde_json::Error>>(
    out: &mut dyn Write,
    v: &impl serde::Serialize,
) -> Result<(), E> {
    serde_json::to_writer_pretty(&mut *out, v)?;
    writeln!(out)?;
    Ok(())
}

/// Runs one `feedmap release` operation on `store` (writes as `who`, a
/// planner's name): the answer goes to `out` as JSON (CSV for a CSV
/// diff), what happened in words to `notes`.
pub fn release(
    served: &Served,
    store: &dyn feedmap_store::Store,
    who: Option<&str>,
    action: ReleaseAction,
    out: &mut dyn Write,
    notes: &mut dyn Write,
) -> Result<(), ReleaseCommandError> {
    use crate::releases::{self, FileBody, StageRequest};
    use feedmap_store::Expect;
    let who = || who.ok_or(ReleaseCommandError::NoPlanner);
    match action {
        ReleaseAction::List { layer } => json_line(out, &releases::list(served, layer.as_deref())),
        ReleaseAction::Stage {
            layer,
            label,
            id_property,
            name_property,
            files,
        } => {
            let who = who()?;
            let files = files
                .iter()
                .map(|f| {
                    Ok(FileBody {
                        name: f
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        text: std::fs::read_to_string(f).map_err(|source| {
                            ReleaseCommandError::Read {
                                path: f.clone(),
                                source,
                            }
                        })?,
                    })
                })
                .collect::<Result<Vec<_>, ReleaseCommandError>>()?;
            let request = StageRequest {
                layer,
                label,
                id_property,
                name_property,
                files,
            };
            let r = releases::stage(served, store, who, request)?;
            writeln!(
                notes,
                "staged release {} as generation {} of layer {:?}",
                r.id, r.generation, r.layer
            )?;
            let served = Served::from_store(served.source_arc(), store)?;
            let (li, g) = served
                .generations()
                .release(r.id)
                .ok_or(crate::successors::ProposalError::NotFound(r.id))?;
            json_line(out, &releases::GenerationView::of(&served, li, g))
        }
        ReleaseAction::Diff { id, format } => {
            let (li, d) = crate::successors::release_diff(served, id)?;
            match format.as_str() {
                "csv" => Ok(write!(out, "{}", releases::diff_csv(&d))?),
                "geojson" => {
                    let g = served.generations();
                    let r = g
                        .get_release(id)
                        .ok_or(crate::successors::ProposalError::NotFound(id))?;
                    let layer = |n| g.get(li, n).and_then(|x| x.layer.as_ref().ok());
                    let (Some(old), Some(new)) = (layer(r.follows), layer(r.generation)) else {
                        return Err(crate::successors::ProposalError::Unusable(
                            id,
                            "it does not build".into(),
                        )
                        .into());
                    };
                    json_line(out, &releases::diff_geojson(&d, old, new, r))
                }
                _ => json_line(out, &*d),
            }
        }
        ReleaseAction::Proposals {
            id,
            successor_share,
        } => json_line(
            out,
            &crate::successors::proposals(served, id, successor_share)?,
        ),
        ReleaseAction::Confirm {
            id,
            subject,
            choice,
        } => {
            let r = releases::confirm(served, store, who()?, id, &subject, Expect::Any, choice)?;
            json_line(out, &r.confirmations.get(&subject))
        }
        ReleaseAction::Activate { id, valid_from } => {
            let (r, waiting) = releases::activate(
                served,
                store,
                who()?,
                id,
                Expect::Any,
                valid_from.as_deref(),
            )?;
            writeln!(
                notes,
                "activated release {} from {}: {} moved, {} waiting for a person",
                r.id,
                r.valid_from.as_deref().unwrap_or(""),
                r.migrations.len(),
                waiting.len()
            )?;
            for w in &waiting {
                writeln!(notes, "  waiting: {w}")?;
            }
            json_line(out, &r)
        }
        ReleaseAction::Withdraw { id } => {
            json_line(out, &store.withdraw_release(who()?, id, Expect::Any)?)
        }
    }
}

/// Why an ownership command (`health`, `consolidate`, `verify`,
/// `activity`) failed.
#[derive(Debug, thiserror::Error)]
pub enum OwnershipCommandError {
    /// A `--param` is not `name=value`, unknown, or out of range.
    #[error("{0}")]
    Param(String),
    /// The activity file has bad rows; nothing was recorded.
    #[error("{} problem(s) in the activity file; nothing was recorded:\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Activity(Vec<feedmap_geography::validate::Problem>),
    /// Reading the activity file failed.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Recording needs a planner token.
    #[error("recording activity needs a planner token: --tokens FILE and FEEDMAP_TOKEN")]
    NoPlanner,
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] feedmap_store::StoreError),
    /// Writing the output failed.
    #[error("writing the output: {0}")]
    Write(#[from] std::io::Error),
    /// Serialising JSON failed.
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
}

fn known_pairs(
    args: &[String],
    allowed: &[&str],
) -> Result<Vec<(String, String)>, OwnershipCommandError> {
    let pairs = param_pairs(args).map_err(|e| OwnershipCommandError::Param(e.to_string()))?;
    if let Some((k, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        return Err(OwnershipCommandError::Param(format!(
            "unknown --param {k:?}; known: {}",
            allowed.join(", ")
        )));
    }
    Ok(pairs)
}

/// Runs `feedmap health`: every feed's findings as `json` or `csv`
/// (administrators' names included: the command line reads the store
/// directly).
pub fn health(
    served: &Served,
    args: &[String],
    format: &str,
    out: &mut dyn Write,
) -> Result<(), OwnershipCommandError> {
    let known = crate::settings::names(crate::health::HealthParams::SETTINGS);
    let pairs = known_pairs(args, &known)?;
    let params = crate::health::HealthParams::from_pairs(served.day(), &pairs)
        .map_err(OwnershipCommandError::Param)?;
    let report = crate::health::report(served, &params, true);
    match format {
        "csv" => out.write_all(crate::health::csv(&report).as_bytes())?,
        _ => json_line::<OwnershipCommandError>(out, &report)?,
    }
    Ok(())
}

/// Runs `feedmap consolidate`: the consolidation plan as `json`, `csv` or
/// `geojson`.
pub fn consolidate(
    served: &Served,
    args: &[String],
    format: &str,
    out: &mut dyn Write,
) -> Result<(), OwnershipCommandError> {
    let known = crate::settings::names(crate::consolidate::ConsolidationParams::SETTINGS);
    let pairs = known_pairs(args, &known)?;
    let params = crate::consolidate::ConsolidationParams::from_pairs(served.day(), &pairs)
        .map_err(OwnershipCommandError::Param)?;
    let plan = crate::consolidate::plan(served, &params);
    tracing::info!(
        feeds_now = plan.feeds_now,
        feeds_after = plan.feeds_after,
        changes = plan.changes.len(),
        "consolidation plan made"
    );
    match format {
        "csv" => out.write_all(crate::consolidate::csv(&plan).as_bytes())?,
        "geojson" => {
            json_line::<OwnershipCommandError>(out, &crate::consolidate::geojson(served, &plan))?
        }
        _ => json_line::<OwnershipCommandError>(out, &plan)?,
    }
    Ok(())
}

/// Runs `feedmap verify HANDLE`: whether it is one of the force's accounts.
pub fn verify(
    served: &Served,
    handle: &str,
    platform: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), OwnershipCommandError> {
    json_line::<OwnershipCommandError>(
        out,
        &crate::verify::verify(served.today(), handle, platform),
    )?;
    Ok(())
}

/// Runs `feedmap activity FILE`: records a platform's activity export in
/// the store, all rows or none.
pub fn activity(
    served: &Served,
    store: &dyn feedmap_store::Store,
    who: Option<&str>,
    file: &std::path::Path,
    out: &mut dyn Write,
) -> Result<(), OwnershipCommandError> {
    let bytes = std::fs::read(file).map_err(|source| OwnershipCommandError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let name = file.to_string_lossy();
    let days = crate::activity::read_csv(&name, &bytes, served.feeds())
        .map_err(OwnershipCommandError::Activity)?;
    let who = who.ok_or(OwnershipCommandError::NoPlanner)?;
    let n = store.record_activity(who, &name, &days)?;
    json_line::<OwnershipCommandError>(
        out,
        &serde_json::json!({
            "recorded": n,
            "feeds": days.iter().map(|d| d.feed_id.as_str()).collect::<std::collections::BTreeSet<_>>().len(),
        }),
    )?;
    Ok(())
}

/// What `feedmap decisions` does.
#[derive(Debug, Clone, PartialEq)]
pub enum DecisionsAction {
    /// Every decision (of one layer), each on the area it is on today.
    List {
        /// Only this layer.
        layer: Option<String>,
    },
    /// Set the decision about a suggestion: its kind, note or name.
    Set {
        /// The layer (a community layer, `@settlements` or `@feeds`).
        layer: String,
        /// The area, cluster, settlement or feed id.
        area_id: String,
        /// What to set.
        change: crate::decide::Change,
    },
}

/// Why `feedmap decisions` failed.
#[derive(Debug, thiserror::Error)]
pub enum DecisionsCommandError {
    /// The decision could not be set.
    #[error(transparent)]
    Set(#[from] crate::decide::SetError),
    /// A write without a planner.
    #[error("setting a decision needs a planner token: --tokens FILE and FEEDMAP_TOKEN")]
    NoPlanner,
    /// Writing the answer failed.
    #[error("writing the answer")]
    Write(#[from] std::io::Error),
    /// Encoding the answer failed.
    #[error("writing the answer")]
    Json(#[from] serde_json::Error),
}

/// `feedmap decisions`: lists planners' decisions, or sets one (a rename
/// is setting its name), printing the stored decision as JSON.
pub fn decisions(
    served: &Served,
    store: &dyn feedmap_store::Store,
    who: Option<&str>,
    action: DecisionsAction,
    out: &mut dyn Write,
) -> Result<(), DecisionsCommandError> {
    match action {
        DecisionsAction::List { layer } => {
            // Each on the area it is on today (a boundary release may have
            // moved it to a successor).
            let list: Vec<feedmap_store::Decision> = served
                .store()
                .decisions
                .iter()
                .filter(|d| layer.as_ref().is_none_or(|l| &d.layer == l))
                .map(|d| crate::decide::as_today(served, d.clone()))
                .collect();
            json_line::<DecisionsCommandError>(
                out,
                &serde_json::json!({ "count": list.len(), "decisions": list }),
            )
        }
        DecisionsAction::Set {
            layer,
            area_id,
            change,
        } => {
            let who = who.ok_or(DecisionsCommandError::NoPlanner)?;
            let (d, created) = crate::decide::set(served, store, who, &layer, &area_id, change)?;
            tracing::info!(
                id = d.id,
                decision = d.decision.as_str(),
                name = d.name.as_deref().unwrap_or(""),
                "{} decision about {}/{area_id} in {}; a plan made with this store (feedmap plan --data-dir, feedmap serve) shows it",
                if created { "recorded" } else { "changed" },
                d.layer,
                store.describe()
            );
            json_line::<DecisionsCommandError>(
                out,
                &serde_json::json!({ "created": created, "decision": d }),
            )
        }
    }
}

/// What `feedmap neighbourhoods` does.
#[derive(Debug, Clone, PartialEq)]
pub enum PageAction {
    /// A neighbourhood's published contacts and priorities.
    Show {
        /// Neighbourhood layer.
        layer: String,
        /// Neighbourhood id.
        id: String,
    },
    /// Replace one list from a file (CSV or JSON).
    Set {
        /// Neighbourhood layer.
        layer: String,
        /// Neighbourhood id.
        id: String,
        /// Which list.
        list: crate::published::List,
        /// The file.
        file: std::path::PathBuf,
    },
}

/// Why `feedmap neighbourhoods` failed.
#[derive(Debug, thiserror::Error)]
pub enum PageCommandError {
    /// The page could not be read or set.
    #[error(transparent)]
    Page(#[from] crate::publish::PageError),
    /// The file could not be read.
    #[error("reading {path}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a list of contacts or priorities.
    #[error(transparent)]
    File(#[from] crate::published::FileError),
    /// A write without a planner.
    #[error(
        "publishing contacts or priorities needs a planner token: --tokens FILE and FEEDMAP_TOKEN"
    )]
    NoPlanner,
    /// Writing the answer failed.
    #[error("writing the answer")]
    Write(#[from] std::io::Error),
    /// Encoding the answer failed.
    #[error("writing the answer")]
    Json(#[from] serde_json::Error),
}

/// `feedmap neighbourhoods`: shows a neighbourhood's published page, or
/// replaces its contacts or priorities from a file (the whole list, as
/// the API does), printing the page as JSON.
pub fn page(
    served: &Served,
    store: &dyn feedmap_store::Store,
    who: Option<&str>,
    action: PageAction,
    out: &mut dyn Write,
) -> Result<(), PageCommandError> {
    let page = match action {
        PageAction::Show { layer, id } => crate::publish::page(served, &layer, &id)?,
        PageAction::Set {
            layer,
            id,
            list,
            file,
        } => {
            let bytes = std::fs::read(&file).map_err(|source| PageCommandError::Read {
                path: file.clone(),
                source,
            })?;
            let part = crate::published::read_file(&file.to_string_lossy(), &bytes, list)?;
            let who = who.ok_or(PageCommandError::NoPlanner)?;
            let p = crate::publish::set(
                served,
                store,
                who,
                &layer,
                &id,
                feedmap_store::Expect::Any,
                part,
            )?;
            tracing::info!(
                people = p.people.len(),
                priorities = p.priorities.len(),
                version = p.version,
                "published {} of {} ({layer}/{id}) in {}; /police-api/ answers them once a server follows this store",
                list.key(),
                p.name,
                store.describe()
            );
            p
        }
    };
    json_line::<PageCommandError>(out, &page)
}

/// Why a command that reads a region or a store and writes JSON failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The region could not be loaded.
    #[error(transparent)]
    Region(#[from] RegionError),
    /// The coordinates are not a point.
    #[error(transparent)]
    Point(#[from] feedmap_geography::lookup::PointError),
    /// The query could not be answered.
    #[error(transparent)]
    Query(#[from] crate::query::QueryError),
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] feedmap_store::StoreError),
    /// A file could not be read or written.
    #[error("{what}")]
    File {
        /// Which file, doing what.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The import file is not a feedmap export.
    #[error("{file} is not a feedmap export")]
    NotAnExport {
        /// The file.
        file: String,
        /// Where its JSON goes wrong.
        source: serde_json::Error,
    },
    /// The store refused the import.
    #[error("importing into {into}")]
    Import {
        /// The store, as it describes itself.
        into: String,
        /// Why.
        source: feedmap_store::StoreError,
    },
    /// Writing the answer failed. The cause is the error's source, so the
    /// binary finds a closed pipe in the chain (and exits quietly).
    #[error("writing the answer")]
    Write(#[from] std::io::Error),
    /// Encoding or writing the JSON answer failed (the cause is its
    /// source, as for `Write`).
    #[error("writing the answer")]
    Json(#[from] serde_json::Error),
}

/// `feedmap lookup`: the areas of every layer at a point, as pretty JSON.
pub fn lookup(
    served: &Served,
    lat: f64,
    lon: f64,
    out: &mut dyn Write,
) -> Result<(), CommandError> {
    let point = feedmap_geography::LatLon::new(lat, lon)?;
    let answer = crate::served::Dated {
        answer: served.region().answer(point),
        at: served.day().to_string(),
        upcoming: served.upcoming_at(served.day(), point),
    };
    serde_json::to_writer_pretty(&mut *out, &answer)?;
    writeln!(out)?;
    Ok(())
}

/// `feedmap feeds lookup`: the feeds for one postcode, point or place, as
/// pretty JSON.
pub fn feeds_lookup(
    served: &Served,
    query: &Query,
    out: &mut dyn Write,
) -> Result<(), CommandError> {
    let answer = served.feeds_for(query)?;
    let answer = crate::served::Dated {
        upcoming: served.upcoming_at(served.day(), answer.point),
        answer,
        at: served.day().to_string(),
    };
    serde_json::to_writer_pretty(&mut *out, &answer)?;
    writeln!(out)?;
    Ok(())
}

/// What an export or import carried, for the line the binary prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DumpCounts {
    /// Decisions.
    pub decisions: usize,
    /// Feeds.
    pub feeds: usize,
    /// Saved parameter sets.
    pub param_sets: usize,
    /// Audit log entries.
    pub audit: usize,
}

impl DumpCounts {
    fn of(dump: &feedmap_store::Dump) -> DumpCounts {
        DumpCounts {
            decisions: dump.decisions.len(),
            feeds: dump.feeds.len(),
            param_sets: dump.param_sets.len(),
            audit: dump.audit.len(),
        }
    }
}

impl std::fmt::Display for DumpCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} decisions, {} feeds, {} parameter sets, {} audit entries",
            self.decisions, self.feeds, self.param_sets, self.audit
        )
    }
}

/// `feedmap export`: the whole store as pretty JSON, to `file` (created)
/// or else to `out`.
pub fn export(
    store: &dyn feedmap_store::Store,
    file: Option<&Path>,
    out: &mut dyn Write,
) -> Result<DumpCounts, CommandError> {
    let dump = store.export()?;
    let mut created;
    let w: &mut dyn Write = match file {
        Some(path) => {
            created = std::io::BufWriter::new(std::fs::File::create(path).map_err(|source| {
                CommandError::File {
                    what: format!("creating {}", path.display()),
                    source,
                }
            })?);
            &mut created
        }
        None => out,
    };
    serde_json::to_writer_pretty(&mut *w, &dump)?;
    writeln!(w)?;
    w.flush()?;
    Ok(DumpCounts::of(&dump))
}

/// `feedmap import`: loads an export (`file`, or standard input for `-`)
/// into an empty store.
pub fn import(store: &dyn feedmap_store::Store, file: &Path) -> Result<DumpCounts, CommandError> {
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(file)
    }
    .map_err(|source| CommandError::File {
        what: format!("reading {}", file.display()),
        source,
    })?;
    let dump: feedmap_store::Dump =
        serde_json::from_str(&text).map_err(|source| CommandError::NotAnExport {
            file: file.display().to_string(),
            source,
        })?;
    store.import(&dump).map_err(|source| CommandError::Import {
        into: store.describe(),
        source,
    })?;
    Ok(DumpCounts::of(&dump))
}
