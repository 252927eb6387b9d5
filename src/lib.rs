//! feedmap: maps the distinct communities inside police neighbourhoods and
//! plans which of them need their own local social-media feed.
//!
//! The logic lives in the workspace's crates, in one direction (cargo
//! refuses a cycle, and `tests/layering.rs` holds the rules):
//!
//! ```text
//! feedmap (this package: the binary's command line and dispatch)
//!   └─► feedmap-server   HTTP API, configuration, auth, webhook delivery
//!         └─► feedmap-domain   feeds, decisions, ownership, releases, plan, Served
//!               └─► feedmap-store   records: SQLite and PostgreSQL, no domain rule
//!               └─► feedmap-geography   boundaries, lookup, tiles; no live state
//! ```
//!
//! This library only re-exports those crates' modules under one name, so
//! the tests and benches in this package drive exactly what users run.

#![deny(missing_docs)]

pub use feedmap_geography::{
    area, boundary, calendar, census, crs, gazetteer, geodesic, grid, import, index, inspect,
    lookup, manifest, parallel, pip, progress, region, relations, settlements, table, tiles,
    validate,
};
pub use feedmap_geography::{LatLon, LayerHit, LoadOptions, Manifest, Region, RegionError, Role};

pub use feedmap_store as store;

pub use feedmap_domain::{
    activity, batch, changes, cli, consolidate, decide, decision, demo, diff, feeds, follow,
    generations, handover, health, init, listings, plan, police_api, publish, published, query,
    readiness, releases, served, settings, source, successors, verify, voice,
};
pub use feedmap_domain::{Served, Source};

pub use feedmap_server::{api, auth, basemap, config, metrics, webhooks};

/// The public question's desk (counting, limits, bursts).
pub use feedmap_server::voice as question;
