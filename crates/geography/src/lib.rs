//! The geography of a region: boundaries and places, read once and never
//! changed (a reload builds a new [`Region`] beside the old one).
//!
//! This crate knows no live state — no feeds, decisions, store or HTTP —
//! so everything here can be tested and benchmarked on files alone. Its
//! modules, each using only those listed before it:
//!
//! 1. leaves — [`calendar`], [`crs`], [`geodesic`], [`pip`], [`area`],
//!    [`grid`], [`index`], [`import`], [`validate`], [`manifest`],
//!    [`table`], [`census`] (census tables as ONS and Nomis publish them),
//!    [`inspect`] (what a downloaded boundary file holds), [`parallel`],
//!    [`progress`];
//! 2. layers and places — [`boundary`] (layers), [`relations`], [`tiles`],
//!    [`gazetteer`], [`region`] (the immutable geography), [`lookup`],
//!    [`settlements`] (where people live, discovered from residential
//!    points).

#![deny(missing_docs)]

pub mod area;
pub mod boundary;
pub mod calendar;
pub mod census;
pub mod crs;
pub mod gazetteer;
pub mod geodesic;
pub mod grid;
pub mod import;
pub mod index;
pub mod inspect;
pub mod locate;
pub mod lookup;
pub mod manifest;
pub mod parallel;
pub mod pip;
pub mod progress;
pub mod region;
pub mod relations;
pub mod settlements;
pub mod table;
pub mod tiles;
pub mod validate;

pub use lookup::{LatLon, LayerHit};
pub use manifest::{Manifest, Role};
pub use region::{LoadOptions, Region, RegionError};

#[cfg(test)]
mod testing;
