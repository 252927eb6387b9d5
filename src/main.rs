//! The `feedmap` command line: parses arguments and calls the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use feedmap::config::ServeConfig;
use feedmap::{LatLon, LoadOptions, Region};
use std::net::SocketAddr;
use std::path::PathBuf;

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
    Serve {
        /// Region folder holding region.toml.
        #[arg(long, default_value = "boundaries/demo")]
        region: PathBuf,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Public base URL for links (when behind a proxy).
        #[arg(long)]
        public_url: Option<String>,
        /// Repair self-intersecting rings instead of refusing them.
        #[arg(long)]
        repair: bool,
    },
    /// Print, as JSON, the areas of every layer at a point.
    Lookup {
        /// Region folder holding region.toml.
        #[arg(long, default_value = "boundaries/demo")]
        region: PathBuf,
        /// Latitude in degrees.
        #[arg(allow_hyphen_values = true)]
        lat: f64,
        /// Longitude in degrees.
        #[arg(allow_hyphen_values = true)]
        lon: f64,
    },
    /// Check a region's manifest and boundary files; exit 1 on any problem.
    Validate {
        /// Region folder holding region.toml.
        dir: PathBuf,
        /// Repair self-intersecting rings (and report what was repaired).
        #[arg(long)]
        repair: bool,
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

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve {
            region,
            addr,
            public_url,
            repair,
        } => {
            let config = ServeConfig {
                region,
                addr,
                public_url,
                repair,
                ..ServeConfig::default()
            };
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(feedmap::api::serve(config))?;
        }
        Command::Lookup { region, lat, lon } => {
            let point = LatLon::new(lat, lon)?;
            let region = Region::load_with(&region, LoadOptions::default())?;
            println!("{}", serde_json::to_string_pretty(&region.answer(point))?);
        }
        Command::Validate { dir, repair } => {
            let ok = feedmap::cli::validate(&dir, repair, &mut std::io::stdout().lock())?;
            if !ok {
                std::process::exit(1);
            }
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
    Ok(())
}
