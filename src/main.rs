//! The `feedmap` command line: parses arguments and calls the library;
//! it owns no logic. `main` turns `run`'s result into one exit code.

use anyhow::Context;
use clap::{Parser, Subcommand};
use feedmap::batch::Format;
use feedmap::config::{ServeConfig, ServeSettings};
use feedmap::query::Query;
use feedmap::{Served, Source};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc rather than the system allocator: a lookup answer is dozens of
/// small allocations, and under load glibc's malloc took about a sixth of
/// the server's time (see the README's performance section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "feedmap",
    version,
    about = "Maps communities inside police neighbourhoods and plans their local feeds"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the lookup API and OGC API – Features over HTTP (SIGHUP reloads).
    Serve(Box<ServeSettings>),
    /// Write the whole store (decisions, feeds, parameters, audit log) as
    /// JSON, for backup or moving to another store.
    Export {
        #[command(flatten)]
        store: StoreArgs,
        /// Output file (default: stdout).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Load a JSON export into an empty store (ids and audit log kept).
    Import {
        #[command(flatten)]
        store: StoreArgs,
        /// The export file (`-` for stdin).
        file: PathBuf,
    },
    /// Print, as JSON, the areas of every layer at a point.
    Lookup {
        /// Region folder holding region.toml.
        #[arg(long, default_value = "boundaries/demo")]
        region: PathBuf,
        #[command(flatten)]
        store: MaybeStoreArgs,
        /// Latitude in degrees.
        #[arg(allow_hyphen_values = true)]
        lat: f64,
        /// Longitude in degrees.
        #[arg(allow_hyphen_values = true)]
        lon: f64,
    },
    /// Discover the settlements of a region from its residential points
    /// (postcodes, else addresses, else population points, else census
    /// areas), or take them from its built-up areas layer when it has one,
    /// and write them as GeoJSON, loadable as a community layer
    /// (`id_property = "id"`, `name_property = "name"`,
    /// `population_property = "residents"`).
    Discover {
        /// Region folder holding region.toml.
        #[arg(long, default_value = "boundaries/demo")]
        region: PathBuf,
        /// Points closer than this (metres) belong to one settlement.
        #[arg(long, default_value_t = 200.0)]
        gap: f64,
        /// Fewest points a settlement has.
        #[arg(long, default_value_t = 5)]
        min_points: usize,
    },
    /// Make a region folder from a force's own downloads: inspects each
    /// file, takes the obvious choices (every one also a --set), clips
    /// national files to the neighbourhoods, writes a commented
    /// region.toml, validates it, and reports what the region can do and
    /// what each missing input costs.
    Init {
        /// The region folder to create (new, or empty).
        dir: PathBuf,
        /// The region's name (default: the folder's).
        #[arg(long)]
        name: Option<String>,
        /// The police neighbourhoods: a data.police.uk KML folder or a
        /// GeoJSON file, as [ID=]FILE.
        #[arg(long, value_name = "[ID=]FILE")]
        neighbourhoods: String,
        /// A community layer (wards, parishes, …), as [ID=]FILE (repeatable).
        #[arg(long = "communities", value_name = "[ID=]FILE")]
        communities: Vec<String>,
        /// A context layer, looked up but not planned (LSOAs, MSOAs, …).
        #[arg(long = "context", value_name = "[ID=]FILE")]
        context: Vec<String>,
        /// Built-up areas (ONS/OS Built Up Areas 2022, national or not):
        /// the region's towns and villages as published, preferred over
        /// finding them.
        #[arg(long = "built-up", value_name = "[ID=]FILE")]
        built_up: Option<String>,
        /// The small areas the census table counts (output areas or LSOAs).
        #[arg(long, value_name = "[ID=]FILE", requires = "census")]
        population: Option<String>,
        /// The census table, as ONS or Nomis publish it (wide or long).
        #[arg(long, value_name = "CSV", requires = "population")]
        census: Option<PathBuf>,
        /// A postcode directory (the ONSPD CSV, national or not).
        #[arg(long, value_name = "CSV")]
        postcodes: Option<PathBuf>,
        /// The force's feed list (CSV).
        #[arg(long, value_name = "CSV")]
        feeds: Option<PathBuf>,
        /// A choice init cannot make itself, as LAYER.KEY=VALUE, e.g.
        /// wards.name_property=WD23NM (repeatable).
        #[arg(long = "set", value_name = "LAYER.KEY=VALUE")]
        settings: Vec<feedmap::init::Setting>,
    },
    /// Check a region's manifest and boundary files; exit 1 on any problem.
    Validate {
        /// Region folder holding region.toml.
        dir: PathBuf,
        /// Repair self-intersecting rings (and report what was repaired).
        #[arg(long)]
        repair: bool,
    },
    /// Find the feeds for a place: one lookup, or a whole file in batch.
    Feeds {
        #[command(subcommand)]
        command: FeedsCommand,
    },
    /// Plan which communities inside large neighbourhoods need their own feed.
    Plan {
        /// Region folder holding region.toml.
        #[arg(long, default_value = "boundaries/demo")]
        region: PathBuf,
        /// A planning parameter as name=value (repeatable), e.g.
        /// --param min_population=5000 --param max_new_feeds=10.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Output format.
        #[arg(long, default_value = "json", value_parser = ["json", "geojson", "csv"])]
        format: String,
        #[command(flatten)]
        store: MaybeStoreArgs,
    },
    /// Boundary releases: stage a new generation of a layer, compare it,
    /// confirm successors, activate it (now or from a date), list them.
    Release {
        #[command(subcommand)]
        command: ReleaseCommand,
        /// Region folder holding region.toml.
        #[arg(long, global = true, default_value = "boundaries/demo")]
        region: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Planners' decisions: list them, or set one (accept, reject, defer,
    /// a note, a name for the suggestion).
    Decisions {
        #[command(subcommand)]
        command: DecisionsCommand,
        /// Region folder holding region.toml.
        #[arg(long, global = true, default_value = "boundaries/demo")]
        region: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// A neighbourhood's published contacts (the Guarantee's named
    /// officers) and priorities: show them, or publish them from a file.
    Neighbourhoods {
        #[command(subcommand)]
        command: NeighbourhoodsCommand,
        /// Region folder holding region.toml.
        #[arg(long, global = true, default_value = "boundaries/demo")]
        region: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Who owns each feed: health, consolidation, verification, activity.
    Owners {
        #[command(subcommand)]
        command: OwnersCommand,
        /// Region folder holding region.toml.
        #[arg(long, global = true, default_value = "boundaries/demo")]
        region: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Generate the fictional demo region, or a synthetic one for benchmarks.
    Demo {
        /// Output folder.
        #[arg(long, default_value = "boundaries/demo")]
        out: PathBuf,
        /// Number of neighbourhoods for a synthetic region (omit for the demo).
        #[arg(long, requires = "communities")]
        neighbourhoods: Option<usize>,
        /// Number of communities for a synthetic region.
        #[arg(long, requires = "neighbourhoods")]
        communities: Option<usize>,
        /// Seed for the synthetic region's jitter and populations.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// The planner token a write is made with: checked against the tokens
/// file, its name recorded in the audit log.
#[derive(clap::Args)]
struct TokenArgs {
    /// The tokens file (as `serve --tokens`).
    #[arg(long, env = "FEEDMAP_TOKENS_FILE")]
    tokens: Option<PathBuf>,
    /// A planner token from it (better given in the environment).
    #[arg(long, env = "FEEDMAP_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

#[derive(Subcommand)]
enum ReleaseCommand {
    /// Every layer's generations (JSON).
    List {
        /// Only this layer.
        #[arg(long)]
        layer: Option<String>,
    },
    /// Validate files as a new generation of a layer and store them as
    /// staged (nothing is stored unless every file is valid).
    Stage {
        /// The layer.
        #[arg(long)]
        layer: String,
        /// A label, e.g. "May 2023 wards".
        #[arg(long, default_value = "")]
        label: String,
        /// Property with the area id, when it differs from the manifest's.
        #[arg(long)]
        id_property: Option<String>,
        /// Property with the area name, when it differs from the manifest's.
        #[arg(long)]
        name_property: Option<String>,
        /// One GeoJSON file, or one or more KML files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        token: TokenArgs,
    },
    /// What a release changes against the generation it replaces.
    Diff {
        /// Release id.
        id: i64,
        /// Output format.
        #[arg(long, default_value = "json", value_parser = ["json", "csv", "geojson"])]
        format: String,
    },
    /// The proposed successor of every feed and decision on the layer.
    Proposals {
        /// Release id.
        id: i64,
        /// Share of residents a new area must receive to be proposed.
        #[arg(long, default_value_t = feedmap::successors::DEFAULT_SUCCESSOR_SHARE)]
        successor_share: f64,
    },
    /// Confirm a proposal, or choose another successor (or none).
    Confirm {
        /// Release id.
        id: i64,
        /// feed:ID or decision:ID.
        subject: String,
        /// The successor area (or +-joined cluster) instead of the proposal.
        #[arg(long, conflicts_with = "none")]
        to: Option<String>,
        /// No successor: it stays attached to its old area, listed with its problem.
        #[arg(long)]
        none: bool,
        #[command(flatten)]
        token: TokenArgs,
    },
    /// Activate a staged release, now or from a date, moving the confirmed
    /// successors in the same transaction.
    Activate {
        /// Release id.
        id: i64,
        /// From when lookups use it (YYYY-MM-DD; default today).
        #[arg(long)]
        valid_from: Option<String>,
        #[command(flatten)]
        token: TokenArgs,
    },
    /// Withdraw a staged release (it stays listed, never used).
    Withdraw {
        /// Release id.
        id: i64,
        #[command(flatten)]
        token: TokenArgs,
    },
}

#[derive(Subcommand)]
enum DecisionsCommand {
    /// Every decision (JSON), each on the area it is on today.
    List {
        /// Only this layer.
        #[arg(long)]
        layer: Option<String>,
    },
    /// Set the decision about a suggestion, recording it if it has none:
    /// the decision, a note, a name.
    Set {
        #[command(flatten)]
        target: DecisionTarget,
        /// accept, reject or defer.
        #[arg(long, value_parser = ["accept", "reject", "defer"])]
        decision: Option<String>,
        /// Why.
        #[arg(long)]
        note: Option<String>,
        /// The suggestion's name in the plan ("" gives it back the plan's own).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        token: TokenArgs,
    },
    /// Name a suggestion (a suggestion still to decide is recorded as
    /// deferred: named, still to decide).
    Rename {
        #[command(flatten)]
        target: DecisionTarget,
        /// The name, e.g. "Partington".
        name: String,
        #[command(flatten)]
        token: TokenArgs,
    },
}

/// What a decision is about: a suggestion as the plan gives it.
#[derive(clap::Args)]
struct DecisionTarget {
    /// The suggestion's layer: its community layer, or @settlements for a
    /// settlement, @feeds for a feed (the plan's `layer`).
    #[arg(long)]
    layer: String,
    /// The suggestion's id as the plan gives it (an area, a cluster's
    /// +-joined ids, a settlement or feed id).
    #[arg(long)]
    id: String,
}

#[derive(Subcommand)]
enum NeighbourhoodsCommand {
    /// A neighbourhood's published contacts and priorities (JSON).
    Show {
        #[command(flatten)]
        target: PageTarget,
    },
    /// Publish a neighbourhood's contacts from a file, replacing the list:
    /// CSV with columns name,rank,bio,email,telephone,mobile,web,twitter,facebook
    /// (name required), or JSON as the API takes it.
    People {
        #[command(flatten)]
        target: PageTarget,
        /// The file (.csv or .json).
        file: PathBuf,
        #[command(flatten)]
        token: TokenArgs,
    },
    /// Publish a neighbourhood's priorities from a file, replacing the
    /// list: CSV with columns issue,issue_date,action,action_date (dates
    /// YYYY-MM-DD), or JSON as the API takes it.
    Priorities {
        #[command(flatten)]
        target: PageTarget,
        /// The file (.csv or .json).
        file: PathBuf,
        #[command(flatten)]
        token: TokenArgs,
    },
}

#[derive(clap::Args)]
struct PageTarget {
    /// The neighbourhood layer's id (region.toml).
    #[arg(long)]
    layer: String,
    /// The neighbourhood's id.
    #[arg(long)]
    id: String,
}

#[derive(Subcommand)]
enum OwnersCommand {
    /// Every feed's health findings, each rule explained.
    Health {
        /// A setting as name=value (repeatable): at, dormant_days,
        /// min_administrators, update_days, skip.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Output format.
        #[arg(long, default_value = "json", value_parser = ["json", "csv"])]
        format: String,
    },
    /// The consolidation plan: which feeds to merge or retire, and why.
    Consolidate {
        /// A setting as name=value (repeatable): at, dormant_days,
        /// min_followers, min_reach, max_changes.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Output format.
        #[arg(long, default_value = "json", value_parser = ["json", "csv", "geojson"])]
        format: String,
    },
    /// Whether a handle is one of the force's accounts.
    Verify {
        /// The handle (with or without @) or the account's URL.
        handle: String,
        /// Only this platform.
        #[arg(long)]
        platform: Option<String>,
    },
    /// Record a platform's activity export (CSV: handle or feed_id,
    /// platform, date, posts, followers); all rows or none.
    Activity {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        token: TokenArgs,
    },
}

/// Where the store is.
#[derive(clap::Args)]
struct StoreArgs {
    /// Data directory holding the embedded store (feedmap.sqlite).
    #[arg(long, global = true, env = "FEEDMAP_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// A postgres:// URL: a store shared by several servers (instead of
    /// the data directory).
    #[arg(long, global = true, env = "FEEDMAP_STORE")]
    store: Option<String>,
}

impl StoreArgs {
    fn open(&self) -> anyhow::Result<std::sync::Arc<dyn feedmap::store::Store>> {
        Ok(feedmap::store::Location::from_args(self.store.as_deref(), &self.data_dir)?.open()?)
    }
}

/// Where the store is, for the commands that answer as the server does
/// (lookups, batches, the plan): with it they see what planners did
/// through the API and the map — feeds added or retired, decisions,
/// boundary releases activated, saved parameters — as the server does;
/// without it they answer from the region files alone, and say so.
#[derive(clap::Args)]
struct MaybeStoreArgs {
    /// Answer with the store in this data directory (`feedmap serve`
    /// keeps it in `data` unless told otherwise): feeds, decisions,
    /// boundary releases and saved parameters as the server has them.
    #[arg(long, env = "FEEDMAP_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Answer with this PostgreSQL store instead (it wins over the data
    /// directory, as for the other commands).
    #[arg(long, env = "FEEDMAP_STORE")]
    store: Option<String>,
}

impl MaybeStoreArgs {
    /// The region at `region` as the server would serve it with this
    /// store, or from its files alone (saying so) without one.
    fn served(self, region: &std::path::Path) -> anyhow::Result<Served> {
        Ok(self.served_and_voice(region)?.0)
    }

    /// As [`MaybeStoreArgs::served`], with the residents' answers the
    /// store counted as the plan's evidence (none without a store, or
    /// when the region asks no question).
    fn served_and_voice(
        self,
        region: &std::path::Path,
    ) -> anyhow::Result<(Served, Option<feedmap::plan::VoiceEvidence>)> {
        let source = Source::load(region)?;
        Ok(match (self.data_dir, self.store) {
            (None, None) => {
                feedmap::cli::note_unused_store(std::path::Path::new("data"));
                (Served::without_store(source), None)
            }
            (dir, url) => {
                let store = StoreArgs {
                    data_dir: dir.unwrap_or_default(),
                    store: url,
                }
                .open()?;
                let served = Served::from_store(Arc::new(source), &*store)?;
                let voice = match served.region().question {
                    Some(_) => feedmap::plan::VoiceEvidence::of(
                        served.region(),
                        &feedmap::voice::Ledger::new(store.voice()?),
                    ),
                    None => None,
                };
                (served, voice)
            }
        })
    }
}

#[derive(Subcommand)]
enum FeedsCommand {
    /// Print, as JSON, the feeds for one postcode, point or place.
    Lookup {
        /// Region folder holding region.toml.
        #[arg(long, default_value = "boundaries/demo")]
        region: PathBuf,
        /// A postcode, in any case or spacing.
        #[arg(long, conflicts_with_all = ["lat", "lon", "q"])]
        postcode: Option<String>,
        /// Latitude (with --lon).
        #[arg(long, requires = "lon", allow_hyphen_values = true)]
        lat: Option<f64>,
        /// Longitude (with --lat).
        #[arg(long, requires = "lat", allow_hyphen_values = true)]
        lon: Option<f64>,
        /// Free text: a place name or an address.
        #[arg(long, conflicts_with_all = ["lat", "lon"])]
        q: Option<String>,
        #[command(flatten)]
        store: MaybeStoreArgs,
    },
    /// Resolve every row of a CSV (or JSON Lines) file; answers go to stdout.
    Batch {
        /// Region folder holding region.toml.
        #[arg(long, default_value = "boundaries/demo")]
        region: PathBuf,
        /// Input file (`-` for stdin): CSV with `id` and `postcode` or
        /// `lat`,`lon` or `q`; or JSON Lines (.jsonl/.ndjson).
        input: PathBuf,
        /// Input and output format (default: from the file extension, CSV
        /// otherwise).
        #[arg(long, value_parser = ["csv", "jsonl"])]
        format: Option<String>,
        #[command(flatten)]
        store: MaybeStoreArgs,
    },
}

/// Exit codes: 0 done (also when a reader closed our output pipe early, as
/// `| head` does: that is how a pipeline says "enough"), 1 failed (the
/// error is printed), 2 bad arguments (clap prints the usage).
fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        // The server's log format is one of its settings (flag,
        // environment or config file): they are read before logging
        // starts.
        Command::Serve(args) => ServeConfig::from_args(*args)
            .map_err(anyhow::Error::from)
            .and_then(|config| {
                init_logging(Logs::Server(config.log_format));
                serve(config)
            })
            .map(|()| ExitCode::SUCCESS),
        command => {
            init_logging(Logs::Command);
            run(Cli { command })
        }
    };
    match result {
        Ok(code) => code,
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whose logs: the server's, in its format, or a command's.
enum Logs {
    Server(feedmap::config::LogFormat),
    Command,
}

/// Logs go to stderr. The server logs what it does (`info`, timestamped),
/// as text coloured only on a terminal, or as one JSON object a line
/// (`--log-format json`); a line written while a request is answered
/// carries its `request_id` ([`WithRequestId`]). A command a person runs
/// shows only warnings, short, so its answer is not lost among log lines
/// (`RUST_LOG=info` shows everything).
fn init_logging(logs: Logs) {
    use feedmap::config::LogFormat;
    use std::io::IsTerminal;
    let default = match logs {
        Logs::Server(_) => "info,tower_http=warn",
        Logs::Command => "warn",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    let format = tracing_subscriber::fmt::format();
    match logs {
        Logs::Server(LogFormat::Json) => builder
            .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
            .event_format(WithRequestId {
                json: true,
                inner: format.json().with_current_span(true).with_span_list(false),
            })
            .init(),
        Logs::Server(LogFormat::Text) => builder
            .with_ansi(std::io::stderr().is_terminal())
            .event_format(WithRequestId {
                json: false,
                inner: format,
            })
            .init(),
        Logs::Command => builder
            .with_ansi(std::io::stderr().is_terminal())
            .without_time()
            .with_target(false)
            .init(),
    }
}

/// The server's log lines, with the id of the request being answered
/// when there is one (`feedmap::api::request_id::with_current`): JSON
/// lines get a `request_id` member first, text lines ` request_id=ID` at
/// the end. (Such a line is written through a buffer, so on a terminal it
/// is not coloured.)
struct WithRequestId<F> {
    json: bool,
    inner: F,
}

impl<S, N, F> tracing_subscriber::fmt::FormatEvent<S, N> for WithRequestId<F>
where
    F: tracing_subscriber::fmt::FormatEvent<S, N>,
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        feedmap::api::request_id::with_current(|id| {
            let Some(id) = id else {
                return self.inner.format_event(ctx, writer, event);
            };
            let mut line = String::with_capacity(256);
            self.inner.format_event(
                ctx,
                tracing_subscriber::fmt::format::Writer::new(&mut line),
                event,
            )?;
            let body = line.strip_suffix('\n').unwrap_or(&line);
            // The id is letters, digits and -_.:=+/@: nothing to escape.
            match body.strip_prefix('{') {
                Some(rest) if self.json => writeln!(writer, "{{\"request_id\":\"{id}\",{rest}"),
                _ => writeln!(writer, "{body} request_id={id}"),
            }
        })
    }
}

/// `feedmap serve` with its configuration read.
fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(feedmap::api::serve(config))?;
    Ok(())
}

/// Whether the error is (caused by) writing to a pipe whose reader has
/// gone. The library's errors keep their cause as `source`, so walking the
/// chain finds it; of the writers used, CSV and JSON wrap the I/O error
/// without exposing it as a source, so they are asked directly.
fn closed_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
            )
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(_) => unreachable!("main serves"),
        Command::Lookup {
            region,
            store,
            lat,
            lon,
        } => feedmap::cli::lookup(
            &store.served(&region)?,
            lat,
            lon,
            &mut std::io::stdout().lock(),
        )?,
        Command::Discover {
            region,
            gap,
            min_points,
        } => {
            let source = Source::load(&region)?;
            let params = feedmap::settlements::DiscoverParams {
                gap_m: gap,
                min_points,
            };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            feedmap::cli::discover(&source, params, &mut out)?;
            out.flush()?;
        }
        Command::Init {
            dir,
            name,
            neighbourhoods,
            communities,
            context,
            built_up,
            population,
            census,
            postcodes,
            feeds,
            settings,
        } => {
            use feedmap::init::{InitRequest, LayerInput};
            let request = InitRequest {
                dir,
                name,
                neighbourhoods: Some(LayerInput::parse(&neighbourhoods)),
                communities: communities.iter().map(|c| LayerInput::parse(c)).collect(),
                context: context.iter().map(|c| LayerInput::parse(c)).collect(),
                built_up: built_up.as_deref().map(LayerInput::parse),
                population: population.as_deref().map(LayerInput::parse),
                census,
                postcodes,
                feeds,
                settings,
            };
            feedmap::init::init(&request, &mut std::io::stdout().lock())?;
        }
        Command::Validate { dir, repair } => {
            let ok = feedmap::cli::validate(&dir, repair, &mut std::io::stdout().lock())?;
            if !ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Feeds { command } => feeds(command)?,
        Command::Export { store, out } => {
            let counts = feedmap::cli::export(
                &*store.open()?,
                out.as_deref(),
                &mut std::io::stdout().lock(),
            )?;
            eprintln!("exported {counts}");
        }
        Command::Import { store, file } => {
            let target = store.open()?;
            let counts = feedmap::cli::import(&*target, &file)?;
            eprintln!("imported {counts} into {}", target.describe());
        }
        Command::Plan {
            region,
            params,
            format,
            store,
        } => {
            let (served, voice) = store.served_and_voice(&region)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            feedmap::cli::plan(&served, voice.as_ref(), &params, &format, &mut out)?;
            out.flush()?;
        }
        Command::Release {
            command,
            region,
            store,
        } => release(command, &region, &store)?,
        Command::Decisions {
            command,
            region,
            store,
        } => decisions(command, &region, &store)?,
        Command::Neighbourhoods {
            command,
            region,
            store,
        } => neighbourhoods(command, &region, &store)?,
        Command::Owners {
            command,
            region,
            store,
        } => {
            let db = store.open()?;
            let served = Served::from_store(Arc::new(Source::load(&region)?), &*db)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            match command {
                OwnersCommand::Health { params, format } => {
                    feedmap::cli::health(&served, &params, &format, &mut out)?
                }
                OwnersCommand::Consolidate { params, format } => {
                    feedmap::cli::consolidate(&served, &params, &format, &mut out)?
                }
                OwnersCommand::Verify { handle, platform } => {
                    feedmap::cli::verify(&served, &handle, platform.as_deref(), &mut out)?
                }
                OwnersCommand::Activity { file, token } => {
                    let who = feedmap::auth::planner_name(
                        token.tokens.as_deref(),
                        token.token.as_deref(),
                    )?;
                    feedmap::cli::activity(&served, &*db, Some(&who), &file, &mut out)?
                }
            }
            out.flush()?;
        }
        Command::Demo {
            out,
            neighbourhoods,
            communities,
            seed,
        } => {
            match (neighbourhoods, communities) {
                (Some(n), Some(c)) => feedmap::demo::write_synthetic(&out, n, c, seed),
                _ => feedmap::demo::write_demo(&out),
            }
            .with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {}", out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn feeds(command: FeedsCommand) -> anyhow::Result<()> {
    match command {
        FeedsCommand::Lookup {
            region,
            postcode,
            lat,
            lon,
            q,
            store,
        } => {
            let query = Query::from_options(postcode, lat.zip(lon), q)
                .context("give --postcode, --lat and --lon, or --q")?;
            let served = store.served(&region)?;
            feedmap::cli::feeds_lookup(&served, &query, &mut std::io::stdout().lock())?;
        }
        FeedsCommand::Batch {
            region,
            input,
            format,
            store,
        } => {
            let format = Format::choose(format.as_deref(), &input);
            let served = store.served(&region)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            feedmap::cli::feeds_batch(&served, &input, format, &mut out)
                .with_context(|| format!("batch {}", input.display()))?;
            out.flush()?;
        }
    }
    Ok(())
}

/// What a store command works with: the planner a write is made as (when
/// it writes), the store, and the region served with the store's state.
fn open_for(
    token: Option<TokenArgs>,
    region: &std::path::Path,
    store: &StoreArgs,
) -> anyhow::Result<(Option<String>, Arc<dyn feedmap::store::Store>, Served)> {
    let who = token
        .map(|t| feedmap::auth::planner_name(t.tokens.as_deref(), t.token.as_deref()))
        .transpose()?;
    let store = store.open()?;
    let served = Served::from_store(Arc::new(Source::load(region)?), &*store)?;
    Ok((who, store, served))
}

fn neighbourhoods(
    command: NeighbourhoodsCommand,
    region: &std::path::Path,
    store: &StoreArgs,
) -> anyhow::Result<()> {
    use feedmap::cli::PageAction as A;
    use feedmap::published::List;
    let set = |t: PageTarget, list, file| A::Set {
        layer: t.layer,
        id: t.id,
        list,
        file,
    };
    let (action, token) = match command {
        NeighbourhoodsCommand::Show { target } => (
            A::Show {
                layer: target.layer,
                id: target.id,
            },
            None,
        ),
        NeighbourhoodsCommand::People {
            target,
            file,
            token,
        } => (set(target, List::People, file), Some(token)),
        NeighbourhoodsCommand::Priorities {
            target,
            file,
            token,
        } => (set(target, List::Priorities, file), Some(token)),
    };
    let (who, store, served) = open_for(token, region, store)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    feedmap::cli::page(&served, &*store, who.as_deref(), action, &mut out)?;
    out.flush()?;
    Ok(())
}

fn decisions(
    command: DecisionsCommand,
    region: &std::path::Path,
    store: &StoreArgs,
) -> anyhow::Result<()> {
    use feedmap::cli::DecisionsAction as A;
    use feedmap::decide::Change;
    use feedmap::decision::DecisionKind;
    let (action, token) = match command {
        DecisionsCommand::List { layer } => (A::List { layer }, None),
        DecisionsCommand::Set {
            target,
            decision,
            note,
            name,
            token,
        } => (
            A::Set {
                layer: target.layer,
                area_id: target.id,
                change: Change {
                    decision: decision.as_deref().and_then(DecisionKind::parse),
                    note,
                    name,
                },
            },
            Some(token),
        ),
        DecisionsCommand::Rename {
            target,
            name,
            token,
        } => (
            A::Set {
                layer: target.layer,
                area_id: target.id,
                change: Change {
                    name: Some(name),
                    ..Change::default()
                },
            },
            Some(token),
        ),
    };
    let (who, store, served) = open_for(token, region, store)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    feedmap::cli::decisions(&served, &*store, who.as_deref(), action, &mut out)?;
    out.flush()?;
    Ok(())
}

fn release(
    command: ReleaseCommand,
    region: &std::path::Path,
    store: &StoreArgs,
) -> anyhow::Result<()> {
    use feedmap::cli::ReleaseAction as A;
    use feedmap::releases::Choice;
    let (action, token) = match command {
        ReleaseCommand::List { layer } => (A::List { layer }, None),
        ReleaseCommand::Stage {
            layer,
            label,
            id_property,
            name_property,
            files,
            token,
        } => (
            A::Stage {
                layer,
                label,
                id_property,
                name_property,
                files,
            },
            Some(token),
        ),
        ReleaseCommand::Diff { id, format } => (A::Diff { id, format }, None),
        ReleaseCommand::Proposals {
            id,
            successor_share,
        } => (
            A::Proposals {
                id,
                successor_share,
            },
            None,
        ),
        ReleaseCommand::Confirm {
            id,
            subject,
            to,
            none,
            token,
        } => {
            let choice = match (to, none) {
                (_, true) => Choice::None,
                (Some(a), _) => Choice::Area(a),
                _ => Choice::Proposal,
            };
            (
                A::Confirm {
                    id,
                    subject,
                    choice,
                },
                Some(token),
            )
        }
        ReleaseCommand::Activate {
            id,
            valid_from,
            token,
        } => (A::Activate { id, valid_from }, Some(token)),
        ReleaseCommand::Withdraw { id, token } => (A::Withdraw { id }, Some(token)),
    };
    let (who, store, served) = open_for(token, region, store)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    feedmap::cli::release(
        &served,
        &*store,
        who.as_deref(),
        action,
        &mut out,
        &mut std::io::stderr(),
    )?;
    out.flush()?;
    Ok(())
}
