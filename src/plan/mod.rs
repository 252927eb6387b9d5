//! Feed planning (issue #4): which communities inside large neighbourhoods
//! deserve a feed of their own, and why.
//!
//! So far this holds the explainable factors each suggestion will be scored
//! on; the planner that combines them (criteria, clusters, budget,
//! coverage) builds on them.

pub mod factors;
pub mod population;
