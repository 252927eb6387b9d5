//! feedmap: maps the distinct communities inside police neighbourhoods and
//! plans which of them need their own local social-media feed.
//!
//! The library holds all the logic (the `feedmap` binary only parses its
//! command line), so tests and benches drive exactly what users run.
//!
//! Modules are layered, each using only those below it (a test checks
//! that no `crate::` reference points upwards):
//!
//! 1. leaves — [`calendar`], [`crs`], [`pip`], [`area`], [`grid`], [`index`], [`import`],
//!    [`validate`], [`manifest`], [`table`], [`parallel`], [`progress`];
//! 2. geography — [`boundary`] (layers), [`relations`], [`tiles`],
//!    [`gazetteer`], [`region`] (the immutable geography), [`lookup`],
//!    [`settlements`] (where people live, discovered from residential
//!    points);
//! 3. live data — [`decision`], [`store`] (the only mutable state),
//!    [`changes`] (the public change feed read from the store's log),
//!    [`feeds`], [`activity`] (posts and followers per feed and day),
//!    [`listings`] (data.police.uk's neighbourhood accounts), [`plan`], [`diff`] (what a boundary redraw does),
//!    [`query`], [`police_api`] (data.police.uk's neighbourhood API);
//! 4. what is served — [`source`] (a region folder loaded whole),
//!    [`generations`] (every layer's boundary versions over time),
//!    [`successors`] (what a redraw does to feeds and decisions),
//!    [`releases`] (staging and activating boundary releases),
//!    [`follow`] (the store followed through its audit log), [`served`]
//!    (one consistent value per request), [`batch`], [`health`] (feed
//!    health rules and the Guarantee view), [`verify`] (is this handle
//!    ours?), [`handover`] (feeds changing hands), [`consolidate`] (the
//!    plan of feeds to merge or retire), [`webhooks`] (change
//!    notifications delivered from the audit log);
//! 5. front ends — [`config`], [`auth`], [`api`], [`cli`].
//!
//! Boundary files are read into a [`Region`] once (a reload builds a new
//! one beside it); planners' changes live in the store; a [`Served`] value
//! joins the two, and every answer is computed from one such value.

#![deny(missing_docs)]

pub mod activity;
pub mod api;
pub mod area;
pub mod auth;
pub mod batch;
pub mod boundary;
pub mod calendar;
pub mod changes;
pub mod cli;
pub mod config;
pub mod consolidate;
pub mod crs;
pub mod decision;
pub mod demo;
pub mod diff;
pub mod feeds;
pub mod follow;
pub mod gazetteer;
pub mod generations;
pub mod geodesic;
pub mod grid;
pub mod handover;
pub mod health;
pub mod import;
pub mod index;
pub mod listings;
pub mod lookup;
pub mod manifest;
pub mod parallel;
pub mod pip;
pub mod plan;
pub mod police_api;
pub mod progress;
pub mod query;
pub mod region;
pub mod relations;
pub mod releases;
pub mod served;
pub mod settlements;
pub mod source;
pub mod store;
pub mod successors;
pub mod table;
pub mod tiles;
pub mod validate;
pub mod verify;
pub mod webhooks;

pub use lookup::{LatLon, LayerHit};
pub use manifest::{Manifest, Role};
pub use region::{LoadOptions, Region, RegionError};
pub use served::Served;
pub use source::Source;

#[cfg(test)]
mod testing;
