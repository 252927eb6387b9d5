//! feedmap's integration tests, one module a concern, built as one test
//! binary: one link instead of one a file, and the generic code they share
//! (the HTTP client, JSON, the library) compiled once, which roughly
//! halves the build `cargo test --release` spends on them. Run one
//! module with a filter: `cargo test --release --test integration store::`.
//!
//! Tests needing something this machine may lack (the GM data,
//! PostgreSQL, Chromium, GDAL) are ignored with the reason; `build.rs`
//! decides, and under `CI=true` nothing is ignored.

mod common;

mod answer_json;
mod basemap;
mod bng;
mod browser;
mod census;
mod changes;
mod config;
mod consistency;
mod crash;
mod demo;
mod docs;
mod embed;
mod feeds;
mod fuzz;
mod gdal;
mod gm_postcodes;
mod grid;
mod hardening;
mod http;
mod init;
mod layering;
mod near_boundary;
mod ogc_crs;
mod openapi;
mod operations;
mod ostn15;
mod owners;
mod pages;
mod persistence;
mod plan;
mod plan_factors;
mod police_api;
mod question;
mod redraw;
mod rename;
mod replicas;
mod settlements;
mod store;
mod towns;
mod validation;
mod webhooks;
