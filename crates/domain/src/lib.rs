//! The domain: what planners decide and what a request is answered from.
//!
//! Built on the geography ([`feedmap_geography`]) and on what the store
//! ([`feedmap_store`]) records; it knows nothing of HTTP. Its modules:
//!
//! 1. live data — [`decision`], [`changes`] (the public change feed read
//!    from the store's log), [`feeds`], [`activity`] (posts and followers
//!    per feed and day), [`listings`] (data.police.uk's neighbourhood
//!    accounts), [`plan`], [`diff`] (what a boundary redraw does),
//!    [`query`], [`cql2`] (OGC CQL2 text filters, as `filter=` takes
//!    them), [`police_api`] (data.police.uk's neighbourhood API),
//!    [`published`] (each neighbourhood's published contacts and
//!    priorities: their rules), [`voice`] (the resident question: names
//!    normalised, answers checked and counted, public figures held to a
//!    minimum count);
//! 2. what is served — [`source`] (a region folder loaded whole),
//!    [`generations`] (every layer's boundary versions over time),
//!    [`successors`] (what a redraw does to feeds and decisions),
//!    [`releases`] (staging and activating boundary releases), [`follow`]
//!    (the store followed through its audit log), [`served`] (one
//!    consistent value per request), [`batch`], [`decide`] (recording decisions against what is served),
//!    [`publish`] (setting contacts and priorities against what is served),
//!    [`health`] (feed health
//!    rules and the Guarantee view), [`verify`] (is this handle ours?),
//!    [`handover`] (feeds changing hands), [`consolidate`] (the plan of
//!    feeds to merge or retire), [`settings`] (their settings as tables),
//!    [`readiness`] (what a region can do with its data, and what each
//!    missing input costs);
//! 3. commands — [`cli`] (what each `feedmap` subcommand does, writing to
//!    any output), [`init`] (a region folder from a force's downloads),
//!    [`demo`] (the demo region's files).
//!
//! A [`Served`] value joins the region and the store's state; every answer
//! is computed from one such value.

#![deny(missing_docs)]

pub mod activity;
pub mod batch;
pub mod changes;
pub mod cli;
pub mod consolidate;
pub mod cql2;
pub mod decide;
pub mod decision;
pub mod demo;
pub mod diff;
pub mod feeds;
pub mod follow;
pub mod generations;
pub mod handover;
pub mod health;
pub mod init;
pub mod listings;
pub mod plan;
pub mod police_api;
pub mod publish;
pub mod published;
pub mod query;
pub mod readiness;
pub mod releases;
pub mod served;
pub mod settings;
pub mod source;
pub mod successors;
pub mod verify;
pub mod voice;

pub use served::Served;
pub use source::Source;
