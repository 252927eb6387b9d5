//! feedmap: maps the distinct communities inside police neighbourhoods and
//! plans which of them need their own local social-media feed.
//!
//! The library holds all the logic (the `feedmap` binary only parses its
//! command line), so tests and benches drive exactly what users run. Data
//! flows one way: a region manifest is imported and validated into an
//! immutable [`Region`] snapshot, which lookups, the API and the planner read.

#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod batch;
pub mod boundary;
pub mod cli;
pub mod config;
pub mod crs;
pub mod decision;
pub mod demo;
pub mod feeds;
pub mod gazetteer;
pub mod import;
pub mod index;
pub mod lookup;
pub mod manifest;
pub mod parallel;
pub mod pip;
pub mod plan;
pub mod progress;
pub mod query;
pub mod region;
pub mod relations;
pub mod store;
pub mod table;
pub mod tiles;
pub mod validate;

pub use lookup::{LatLon, LayerHit};
pub use manifest::{Manifest, Role};
pub use region::{LoadOptions, Region, RegionError};
