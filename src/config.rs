//! Server configuration: one typed struct with documented defaults, so every
//! knob is visible in one place and the CLI only fills it in.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Configuration of `feedmap serve`.
#[derive(Debug, Clone)]
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
    pub store_poll: std::time::Duration,
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
            data_dir: PathBuf::from("data"),
            store_url: None,
            tokens_file: None,
            write_max_bytes: 64 * 1024,
            store_poll: std::time::Duration::from_secs(1),
        }
    }
}
