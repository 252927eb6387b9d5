//! Server configuration: one typed struct with documented defaults
//! ([`ServeConfig`]), filled from three places merged here and nowhere
//! else:
//!
//! 1. command-line flags (e.g. `--max-limit 500`),
//! 2. environment variables (`FEEDMAP_MAX_LIMIT=500`; a flag wins over its
//!    variable),
//! 3. an optional TOML file (`--config feedmap.toml`; keys as the flags
//!    without dashes, unknown keys refused, relative paths taken from the
//!    file's folder),
//!
//! each read into the one [`ServeSettings`] type (clap for the first two,
//! serde for the file), over the defaults. Precedence: flag, then
//! environment, then file, then default.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Configuration of `feedmap serve`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    /// Region folder (holding `region.toml`). Default: `boundaries/demo`.
    pub region: PathBuf,
    /// Address to listen on. Default `127.0.0.1:8080`; port 0 picks a free
    /// port (the chosen address is printed on stdout).
    pub addr: SocketAddr,
    /// Public base URL used in OGC API links (e.g. behind a proxy). Default:
    /// none, links are built from the request's `Host` header.
    pub public_url: Option<String>,
    /// Repair self-intersecting rings on load. Default false.
    pub repair: bool,
    /// Page size of `/collections/{layer}/items` without `limit`. Default 100.
    pub default_limit: usize,
    /// Largest accepted `limit`; larger values are clamped as OGC API –
    /// Features requires. Default 10,000.
    pub max_limit: usize,
    /// Largest accepted body of `POST /v1/feeds/lookup/batch`, in bytes;
    /// larger bodies get 413. Default 512 MiB (about 15 million CSV rows).
    pub batch_max_bytes: u64,
    /// A MapLibre style URL drawn under the boundaries on the planners'
    /// map. Default: none — the map works offline on a plain background.
    pub basemap_style_url: Option<String>,
    /// A PMTiles archive of the Protomaps basemap that feedmap serves and
    /// draws under the boundaries itself, offline (glyphs and sprite
    /// embedded). Default: none. At most one of this and
    /// `basemap_style_url`.
    pub basemap: Option<PathBuf>,
    /// Where planners' decisions and feed edits are kept: the SQLite file
    /// in `data_dir` unless `store_url` names a PostgreSQL database.
    /// Default `./data`.
    pub data_dir: PathBuf,
    /// A `postgres://` URL for a store shared by several replicas. Default:
    /// none (SQLite in `data_dir`).
    pub store_url: Option<String>,
    /// The tokens file (TOML `[[tokens]]` with name, token, role). Default:
    /// none — then every write is refused with 401.
    pub tokens_file: Option<PathBuf>,
    /// Largest accepted body of a write (decisions, feeds, parameters), in
    /// bytes; larger gets 413. Default 64 KiB.
    pub write_max_bytes: usize,
    /// How often a server checks the store for changes it did not make
    /// (other replicas', an import): lookups use the feeds it last saw;
    /// plan, decision and feed reads on a shared store check on every
    /// request. Default 1 s; zero turns the poll off.
    pub store_poll: Duration,
    /// Longest wait for a whole request head, and for the next request on
    /// an idle keep-alive connection; then the connection is closed.
    /// Default 10 s.
    pub header_timeout: Duration,
    /// Longest time from a request's head to its answer's head, the body
    /// read included; then 408 with a problem. Uploads that may be large
    /// (batch, a boundary release) are spared, and a batch answer streams
    /// for as long as it takes. Default 30 s.
    pub request_timeout: Duration,
    /// Most connections open at once; more wait in the listen backlog.
    /// Default 4,096.
    pub max_connections: usize,
    /// Requests per second one client address may make on average (0: no
    /// limit); over it, 429 with `Retry-After`. Default 200.
    pub rate_limit: u32,
    /// Requests one client may make in a burst. Default 400 (a map page
    /// loading its tiles).
    pub rate_limit_burst: u32,
    /// Whether loopback clients (a proxy on the same host, load tests) are
    /// limited too. Default false.
    pub rate_limit_loopback: bool,
    /// Origins whose pages may call the public reads (lookups, the
    /// data.police.uk-compatible endpoints, the widget) from a browser:
    /// `*` for any, or origins like `https://www.example.police.uk`.
    /// Default `*` (the public reads carry no personal data and take no
    /// credentials); writes and secured reads never answer other origins.
    pub cors_origins: Vec<String>,
    /// How webhook deliveries are retried, timed out and leased. Defaults:
    /// first retry after 30 s, doubling up to 1 h; paused after 10
    /// failures in a row; 10 s for a receiver to answer; a 60 s lease.
    pub webhooks: crate::webhooks::RetryPolicy,
    /// How log lines are written to standard error: text for people, or
    /// one JSON object a line for a log collector. Default text.
    pub log_format: LogFormat,
    /// How the public question (the `voice` module) counts answers and
    /// resists abuse.
    pub question: QuestionSettings,
}

/// How the public question counts answers and resists abuse, without
/// keeping anything that identifies a resident.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionSettings {
    /// Length of the time buckets answers are counted in (also the
    /// smallest window a planner can exclude). Default 1 h: coarse enough
    /// that a count cannot be matched to one request in a proxy's log.
    pub bucket: Duration,
    /// Answers one client may give a day (0: no limit). The client is
    /// known only by a keyed hash of its address, whose key is made in
    /// memory and replaced at every UTC midnight. Default 5: fewer than the
    /// minimum count a figure needs, so one client cannot publish one.
    pub per_client: u32,
    /// The burst detector's window. Default 10 min.
    pub burst_window: Duration,
    /// Attempts in one window that can hold an area, however quiet it
    /// usually is. Default 50.
    pub burst_min: u32,
    /// How many times its usual attempts in a window hold an area.
    /// Default 10.
    pub burst_factor: f64,
    /// Proxies whose `X-Forwarded-For` names the client (the right-most
    /// address not itself a trusted proxy). Default loopback (a proxy on
    /// the same host).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for QuestionSettings {
    fn default() -> Self {
        QuestionSettings {
            bucket: Duration::from_secs(3600),
            per_client: 5,
            burst_window: Duration::from_secs(600),
            burst_min: 50,
            burst_factor: 10.0,
            trusted_proxies: vec![
                std::net::IpAddr::from([127, 0, 0, 1]),
                std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            ],
        }
    }
}

/// How the server writes its log lines (`--log-format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Lines for people: time, level, where, message, fields.
    #[default]
    Text,
    /// One JSON object a line (`timestamp`, `level`, `fields.message`,
    /// `target`; `request_id` on the lines written while a request is
    /// answered).
    Json,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            region: PathBuf::from("boundaries/demo"),
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            repair: false,
            default_limit: 100,
            max_limit: 10_000,
            batch_max_bytes: 512 * 1024 * 1024,
            basemap_style_url: None,
            basemap: None,
            data_dir: PathBuf::from("data"),
            store_url: None,
            tokens_file: None,
            write_max_bytes: 64 * 1024,
            store_poll: Duration::from_secs(1),
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 4096,
            rate_limit: 200,
            rate_limit_burst: 400,
            rate_limit_loopback: false,
            cors_origins: vec!["*".into()],
            webhooks: crate::webhooks::RetryPolicy::default(),
            log_format: LogFormat::Text,
            question: QuestionSettings::default(),
        }
    }
}

/// Every `serve` setting, each optional: what is not given comes from the
/// next source or the default ([`ServeConfig::merge`]). clap reads it from
/// the flags and their environment variables, serde from the config file
/// (the same keys without the dashes; unknown keys, `config` among them,
/// refused).
#[derive(Debug, Clone, Default, PartialEq, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeSettings {
    /// A TOML file of settings (keys as these flags without the dashes);
    /// flags and environment variables override it.
    #[arg(long, env = "FEEDMAP_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Region folder holding region.toml [default: boundaries/demo].
    #[arg(long, env = "FEEDMAP_REGION")]
    pub region: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:8080].
    #[arg(long, env = "FEEDMAP_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Public base URL for links (when behind a proxy).
    #[arg(long, env = "FEEDMAP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Repair self-intersecting rings instead of refusing them.
    #[arg(long, env = "FEEDMAP_REPAIR")]
    #[serde(default)]
    pub repair: bool,
    /// Page size of /collections/{layer}/items without `limit` [default: 100].
    #[arg(long, env = "FEEDMAP_DEFAULT_LIMIT")]
    pub default_limit: Option<usize>,
    /// Largest `limit` of /collections/{layer}/items; larger is clamped [default: 10000].
    #[arg(long, env = "FEEDMAP_MAX_LIMIT")]
    pub max_limit: Option<usize>,
    /// Largest accepted batch body in bytes; larger gets 413 [default: 536870912].
    #[arg(long, env = "FEEDMAP_BATCH_MAX_BYTES")]
    pub batch_max_bytes: Option<u64>,
    /// A MapLibre style URL to draw under the boundaries on the map
    /// (default: none; the map works offline).
    #[arg(long, env = "FEEDMAP_BASEMAP_STYLE")]
    pub basemap_style: Option<String>,
    /// A PMTiles extract of the Protomaps basemap for your area, served
    /// and drawn under the map with nothing fetched from elsewhere
    /// (default: none).
    #[arg(long, env = "FEEDMAP_BASEMAP", value_name = "FILE.pmtiles")]
    pub basemap: Option<PathBuf>,
    /// Data directory holding the embedded store (feedmap.sqlite) [default: data].
    #[arg(long, env = "FEEDMAP_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// A postgres:// URL: a store shared by several servers (instead of
    /// the data directory).
    #[arg(long, env = "FEEDMAP_STORE")]
    pub store: Option<String>,
    /// Tokens file for writes (TOML `[[tokens]]` with name, token and role
    /// = planner | reader). Without it the API is read-only.
    #[arg(long, env = "FEEDMAP_TOKENS_FILE")]
    pub tokens: Option<PathBuf>,
    /// Largest accepted body of a write (decisions, feeds), in bytes [default: 65536].
    #[arg(long, env = "FEEDMAP_WRITE_MAX_BYTES")]
    pub write_max_bytes: Option<usize>,
    /// How often to check the store for other servers' writes, e.g. `1s`,
    /// `500ms`; `0` turns it off [default: 1s].
    #[arg(long, env = "FEEDMAP_STORE_POLL", value_parser = humantime::parse_duration)]
    #[serde(default, with = "duration_text")]
    pub store_poll: Option<Duration>,
    /// Close a connection that has not sent a whole request head (or,
    /// idle, its next request) within this, e.g. `10s` [default: 10s].
    #[arg(long, env = "FEEDMAP_HEADER_TIMEOUT", value_parser = humantime::parse_duration)]
    #[serde(default, with = "duration_text")]
    pub header_timeout: Option<Duration>,
    /// Answer 408 to a request not answered within this, its body read
    /// included (batch and release uploads are spared), e.g. `30s`
    /// [default: 30s].
    #[arg(long, env = "FEEDMAP_REQUEST_TIMEOUT", value_parser = humantime::parse_duration)]
    #[serde(default, with = "duration_text")]
    pub request_timeout: Option<Duration>,
    /// Most connections open at once [default: 4096].
    #[arg(long, env = "FEEDMAP_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Requests per second per client address, 0 for no limit [default: 200].
    #[arg(long, env = "FEEDMAP_RATE_LIMIT")]
    pub rate_limit: Option<u32>,
    /// Requests per client in a burst [default: 400].
    #[arg(long, env = "FEEDMAP_RATE_LIMIT_BURST")]
    pub rate_limit_burst: Option<u32>,
    /// Limit loopback clients too (by default they are not).
    #[arg(long, env = "FEEDMAP_RATE_LIMIT_LOOPBACK")]
    #[serde(default)]
    pub rate_limit_loopback: bool,
    /// Origins whose pages may call the public reads from a browser,
    /// comma-separated: `*` for any, or e.g.
    /// `https://www.example.police.uk` [default: *].
    #[arg(long, env = "FEEDMAP_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Option<Vec<String>>,
    /// Wait before retrying a failed webhook delivery; it doubles with
    /// each failure in a row [default: 30s].
    #[arg(long, env = "FEEDMAP_WEBHOOK_RETRY", value_parser = humantime::parse_duration)]
    #[serde(default, with = "duration_text")]
    pub webhook_retry: Option<Duration>,
    /// Longest wait between webhook delivery attempts [default: 1h].
    #[arg(long, env = "FEEDMAP_WEBHOOK_RETRY_MAX", value_parser = humantime::parse_duration)]
    #[serde(default, with = "duration_text")]
    pub webhook_retry_max: Option<Duration>,
    /// Failed deliveries in a row that pause a webhook [default: 10].
    #[arg(long, env = "FEEDMAP_WEBHOOK_MAX_FAILURES")]
    pub webhook_max_failures: Option<u32>,
    /// How long a webhook receiver has to answer [default: 10s].
    #[arg(long, env = "FEEDMAP_WEBHOOK_TIMEOUT", value_parser = humantime::parse_duration)]
    #[serde(default, with = "duration_text")]
    pub webhook_timeout: Option<Duration>,
    /// How long a server holds a webhook without renewing; with a shared
    /// store another server takes it over after that [default: 60s].
    #[arg(long, env = "FEEDMAP_WEBHOOK_LEASE", value_parser = humantime::parse_duration)]
    #[serde(default, with = "duration_text")]
    pub webhook_lease: Option<Duration>,
    /// Log lines as `text` for people or `json`, one object a line, for a
    /// log collector [default: text].
    #[arg(long, env = "FEEDMAP_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Time buckets the public question counts answers in, the smallest
    /// window a planner can exclude [default: 1h].
    #[arg(long, env = "FEEDMAP_QUESTION_BUCKET", value_parser = humantime::parse_duration)]
    #[serde(default, with = "duration_text")]
    pub question_bucket: Option<Duration>,
    /// Answers to the public question one client may give a day, 0 for
    /// no limit [default: 5].
    #[arg(long, env = "FEEDMAP_QUESTION_PER_CLIENT")]
    pub question_per_client: Option<u32>,
    /// The window in which a burst of answers holds an area for review
    /// [default: 10m].
    #[arg(long, env = "FEEDMAP_QUESTION_BURST_WINDOW", value_parser = humantime::parse_duration)]
    #[serde(default, with = "duration_text")]
    pub question_burst_window: Option<Duration>,
    /// Answers in one window that can hold an area however quiet it
    /// usually is [default: 50].
    #[arg(long, env = "FEEDMAP_QUESTION_BURST_MIN")]
    pub question_burst_min: Option<u32>,
    /// How many times an area's usual answers in a window hold it
    /// [default: 10].
    #[arg(long, env = "FEEDMAP_QUESTION_BURST_FACTOR")]
    pub question_burst_factor: Option<f64>,
    /// Proxies trusted to name the client in `X-Forwarded-For`,
    /// comma-separated addresses [default: 127.0.0.1,::1].
    #[arg(long, env = "FEEDMAP_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<std::net::IpAddr>>,
}

mod duration_text {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| {
            humantime::parse_duration(&t).map_err(|e| {
                serde::de::Error::custom(format!(
                    "{t:?} is not a duration such as \"1s\" or \"500ms\": {e}"
                ))
            })
        })
        .transpose()
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file cannot be read.
    #[error("config file {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The config file is not valid TOML of the known keys.
    #[error("config file {}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (names the key and line).
        message: String,
    },
    /// A setting is out of range.
    #[error("{setting}: {message}")]
    Invalid {
        /// The setting, as a flag.
        setting: &'static str,
        /// What is wrong and what would do.
        message: String,
    },
}

impl ServeSettings {
    /// Reads a config file; relative paths in it are taken from its folder.
    pub fn load(path: &Path) -> Result<ServeSettings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let mut file: ServeSettings = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut file.region,
            &mut file.data_dir,
            &mut file.tokens,
            &mut file.basemap,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(file)
    }
}

impl ServeConfig {
    /// The configuration from flags and environment (`args`) over the
    /// config file they name (if any) over the defaults.
    pub fn from_args(args: ServeSettings) -> Result<ServeConfig, ConfigError> {
        let file = match &args.config {
            Some(path) => ServeSettings::load(path)?,
            None => ServeSettings::default(),
        };
        ServeConfig::merge(args, file)
    }

    /// Merges: each setting from `args` if given, else from `file`, else
    /// the default; then checks the ranges.
    pub fn merge(args: ServeSettings, file: ServeSettings) -> Result<ServeConfig, ConfigError> {
        let d = ServeConfig::default();
        // The two kinds of base map are one setting: a flag for either
        // replaces the file's, whichever kind that was.
        let (basemap, basemap_style) = if args.basemap.is_some() || args.basemap_style.is_some() {
            (args.basemap, args.basemap_style)
        } else {
            (file.basemap, file.basemap_style)
        };
        let c = ServeConfig {
            region: args.region.or(file.region).unwrap_or(d.region),
            addr: args.addr.or(file.addr).unwrap_or(d.addr),
            public_url: args.public_url.or(file.public_url),
            repair: args.repair || file.repair,
            default_limit: args
                .default_limit
                .or(file.default_limit)
                .unwrap_or(d.default_limit),
            max_limit: args.max_limit.or(file.max_limit).unwrap_or(d.max_limit),
            batch_max_bytes: args
                .batch_max_bytes
                .or(file.batch_max_bytes)
                .unwrap_or(d.batch_max_bytes),
            basemap_style_url: basemap_style,
            basemap,
            data_dir: args.data_dir.or(file.data_dir).unwrap_or(d.data_dir),
            store_url: args.store.or(file.store),
            tokens_file: args.tokens.or(file.tokens),
            write_max_bytes: args
                .write_max_bytes
                .or(file.write_max_bytes)
                .unwrap_or(d.write_max_bytes),
            store_poll: args.store_poll.or(file.store_poll).unwrap_or(d.store_poll),
            header_timeout: args
                .header_timeout
                .or(file.header_timeout)
                .unwrap_or(d.header_timeout),
            request_timeout: args
                .request_timeout
                .or(file.request_timeout)
                .unwrap_or(d.request_timeout),
            max_connections: args
                .max_connections
                .or(file.max_connections)
                .unwrap_or(d.max_connections),
            rate_limit: args.rate_limit.or(file.rate_limit).unwrap_or(d.rate_limit),
            rate_limit_burst: args
                .rate_limit_burst
                .or(file.rate_limit_burst)
                .unwrap_or(d.rate_limit_burst),
            rate_limit_loopback: args.rate_limit_loopback || file.rate_limit_loopback,
            cors_origins: args
                .cors_origins
                .or(file.cors_origins)
                .unwrap_or(d.cors_origins),
            webhooks: crate::webhooks::RetryPolicy {
                first: args
                    .webhook_retry
                    .or(file.webhook_retry)
                    .unwrap_or(d.webhooks.first),
                max: args
                    .webhook_retry_max
                    .or(file.webhook_retry_max)
                    .unwrap_or(d.webhooks.max),
                max_failures: args
                    .webhook_max_failures
                    .or(file.webhook_max_failures)
                    .unwrap_or(d.webhooks.max_failures),
                timeout: args
                    .webhook_timeout
                    .or(file.webhook_timeout)
                    .unwrap_or(d.webhooks.timeout),
                lease: args
                    .webhook_lease
                    .or(file.webhook_lease)
                    .unwrap_or(d.webhooks.lease),
            },
            log_format: args.log_format.or(file.log_format).unwrap_or(d.log_format),
            question: QuestionSettings {
                bucket: args
                    .question_bucket
                    .or(file.question_bucket)
                    .unwrap_or(d.question.bucket),
                per_client: args
                    .question_per_client
                    .or(file.question_per_client)
                    .unwrap_or(d.question.per_client),
                burst_window: args
                    .question_burst_window
                    .or(file.question_burst_window)
                    .unwrap_or(d.question.burst_window),
                burst_min: args
                    .question_burst_min
                    .or(file.question_burst_min)
                    .unwrap_or(d.question.burst_min),
                burst_factor: args
                    .question_burst_factor
                    .or(file.question_burst_factor)
                    .unwrap_or(d.question.burst_factor),
                trusted_proxies: args
                    .trusted_proxies
                    .or(file.trusted_proxies)
                    .unwrap_or(d.question.trusted_proxies),
            },
        };
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |setting, message: String| Err(ConfigError::Invalid { setting, message });
        if self.max_limit == 0 {
            return bad("--max-limit", "must be at least 1".into());
        }
        if self.default_limit == 0 || self.default_limit > self.max_limit {
            return bad(
                "--default-limit",
                format!(
                    "{} must be from 1 to --max-limit ({})",
                    self.default_limit, self.max_limit
                ),
            );
        }
        if self.write_max_bytes < 1024 {
            return bad(
                "--write-max-bytes",
                format!(
                    "{} is too small for any write; give at least 1024",
                    self.write_max_bytes
                ),
            );
        }
        if self.basemap.is_some() && self.basemap_style_url.is_some() {
            return bad(
                "--basemap",
                "give one base map: --basemap FILE.pmtiles (served by feedmap) or --basemap-style URL (a hosted style), not both".into(),
            );
        }
        if self.batch_max_bytes == 0 {
            return bad("--batch-max-bytes", "must be at least 1".into());
        }
        if self.header_timeout.is_zero() {
            return bad(
                "--header-timeout",
                "must be longer than 0 (e.g. 10s)".into(),
            );
        }
        if self.request_timeout.is_zero() {
            return bad(
                "--request-timeout",
                "must be longer than 0 (e.g. 30s)".into(),
            );
        }
        if self.max_connections == 0 {
            return bad("--max-connections", "must be at least 1".into());
        }
        if self.cors_origins.is_empty() {
            return bad(
                "--cors-origins",
                "give * or at least one origin such as https://www.example.police.uk".into(),
            );
        }
        for o in &self.cors_origins {
            if o != "*" && !is_origin(o) {
                return bad(
                    "--cors-origins",
                    format!("{o:?} is not an origin: give scheme://host[:port] with no path, or *"),
                );
            }
        }
        let w = &self.webhooks;
        if w.first.is_zero() {
            return bad("--webhook-retry", "must be longer than 0 (e.g. 30s)".into());
        }
        if w.max < w.first {
            return bad(
                "--webhook-retry-max",
                format!(
                    "{:?} is shorter than --webhook-retry ({:?})",
                    w.max, w.first
                ),
            );
        }
        if w.max_failures == 0 {
            return bad("--webhook-max-failures", "must be at least 1".into());
        }
        if w.timeout.is_zero() {
            return bad(
                "--webhook-timeout",
                "must be longer than 0 (e.g. 10s)".into(),
            );
        }
        if w.lease <= w.timeout {
            return bad(
                "--webhook-lease",
                format!(
                    "{:?} must be longer than --webhook-timeout ({:?}), or a slow receiver would lose the server its lease",
                    w.lease, w.timeout
                ),
            );
        }
        let q = &self.question;
        if q.bucket.as_secs() == 0 || q.bucket.subsec_nanos() != 0 || q.bucket.as_secs() > 86_400 {
            return bad(
                "--question-bucket",
                format!(
                    "{:?} must be whole seconds from 1s to 24h (e.g. 1h)",
                    q.bucket
                ),
            );
        }
        if q.burst_window.as_secs() == 0 {
            return bad(
                "--question-burst-window",
                "must be at least 1s (e.g. 10m)".into(),
            );
        }
        if q.burst_min == 0 {
            return bad("--question-burst-min", "must be at least 1".into());
        }
        if !(q.burst_factor.is_finite() && q.burst_factor >= 1.0) {
            return bad(
                "--question-burst-factor",
                format!(
                    "{} must be a number of at least 1 (e.g. 10)",
                    q.burst_factor
                ),
            );
        }
        if self.rate_limit > 0 && self.rate_limit_burst == 0 {
            return bad(
                "--rate-limit-burst",
                "must be at least 1 when --rate-limit is on".into(),
            );
        }
        Ok(())
    }
}

/// Whether `o` is a web origin as browsers send it: `http://` or
/// `https://`, a host, an optional port, nothing after.
fn is_origin(o: &str) -> bool {
    let Some(rest) = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => (h, Some(p)),
        _ => (rest, None),
    };
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b))
        && port.is_none_or(|p| !p.is_empty() && p.parse::<u16>().is_ok())
}
