//! Integrator queries: coordinates, a postcode or free text in, a point and
//! its feeds out, with how the point was found.

use crate::feeds::{Coverage, Feed, FeedHit, FeedRegistry, Resolution};
use feedmap_geography::gazetteer::PostcodeEntry;
use feedmap_geography::lookup::{AreaSummary, LatLon};
use feedmap_geography::region::Region;
use serde::Serialize;
use std::collections::BTreeMap;

pub use feedmap_geography::locate::{Candidate, Located, Query, QueryError, Via, MAX_CANDIDATES};

/// Why a feed is in an answer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Matched<'a> {
    /// `community`, `neighbourhood` or `force`.
    pub scope: &'static str,
    /// Layer of the area (none for force-wide).
    pub layer: Option<&'a str>,
    /// Area id.
    pub area_id: Option<&'a str>,
    /// Area name.
    pub area_name: Option<&'a str>,
}

/// A feed in an answer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FeedItem<'a> {
    /// Feed id.
    pub feed_id: &'a str,
    /// Platform.
    pub platform: &'a str,
    /// Handle.
    pub handle: &'a str,
    /// URL.
    pub url: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Why it is here.
    pub matched: Matched<'a>,
}

/// An area on the other side of a nearby boundary.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NearBoundary<'a> {
    /// The area, with `distance_m` from the point to its boundary.
    #[serde(flatten)]
    pub area: AreaSummary<'a>,
    /// Its own active feeds (those of its layer's area alone).
    pub feeds: Vec<FeedItem<'a>>,
}

/// A feed of a resolution (or of one area) shaped for an answer.
fn feed_item<'a>(region: &'a Region, registry: &'a FeedRegistry, hit: &FeedHit) -> FeedItem<'a> {
    let f: &Feed = &registry.feeds[hit.feed];
    let matched = match hit.matched {
        None => Matched {
            scope: "force",
            layer: None,
            area_id: None,
            area_name: None,
        },
        Some(feedmap_geography::area::AreaRef { layer: l, area: a }) => Matched {
            scope: region.layers[l].role.as_str(),
            layer: Some(&region.layers[l].id),
            area_id: Some(&region.layers[l].areas[a].id),
            area_name: Some(&region.layers[l].areas[a].name),
        },
    };
    FeedItem {
        feed_id: &f.feed_id,
        platform: &f.fields.platform,
        handle: &f.fields.handle,
        url: &f.fields.url,
        name: &f.fields.name,
        matched,
    }
}

/// The answer integrators get: the point and how it was found, the areas,
/// the feeds most specific first, the best feed per platform. Every key is
/// always there, null or empty when there is nothing, so a client may read
/// any of them without checking.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FeedAnswer<'a> {
    /// How the point was found.
    pub via: Via,
    /// The point used.
    pub point: LatLon,
    /// The postcode, for postcode queries (null for others).
    pub postcode: Option<PostcodeEntry>,
    /// A note (e.g. terminated postcode), or null.
    pub note: Option<String>,
    /// `community`, `neighbourhood`, `force` or `outside`.
    pub coverage: Coverage,
    /// Whether the region has a feed list. `false`: it names no feed at
    /// all, so an empty `feeds` says nothing about the force's accounts
    /// here (the note says how to add them).
    pub feed_list: bool,
    /// The most specific community area containing the point (the smallest
    /// when community layers overlap), if any.
    pub community: Option<AreaSummary<'a>>,
    /// The neighbourhood containing the point, if any.
    pub neighbourhood: Option<AreaSummary<'a>>,
    /// Neighbourhood and community areas containing the point, by layer.
    pub areas: BTreeMap<&'a str, Vec<AreaSummary<'a>>>,
    /// Feeds, most specific first.
    pub feeds: Vec<FeedItem<'a>>,
    /// The first (most specific) feed on each platform.
    pub by_platform: BTreeMap<&'a str, FeedItem<'a>>,
    /// For a postcode: the other communities and neighbourhoods whose
    /// boundary lies within `[postcodes].near_boundary_m` (default 100 m)
    /// of its centroid, nearest first, each with its distance and its own
    /// active feeds — some of the postcode's addresses may be on that side.
    /// Empty when none is that near; null for other queries.
    pub near_boundary: Option<Vec<NearBoundary<'a>>>,
    /// When outside every neighbourhood: the nearest one (else null).
    pub nearest_neighbourhood: Option<AreaSummary<'a>>,
    /// Ranked candidates, for text queries (empty for others).
    pub candidates: Vec<Candidate>,
    /// Attribution for the boundaries used.
    pub attribution: &'a str,
}

/// The note of an answer in a region with no feed list.
pub const NO_FEED_LIST: &str = "this region has no feed list, so no feed is known for any place (an empty feeds list does not mean the force has no account here): add the force's accounts as [feeds] in region.toml or through the map";

/// Shapes a resolution of `located` (by `registry`, over `region`) for
/// output.
pub fn feed_answer<'a>(
    region: &'a Region,
    registry: &'a FeedRegistry,
    located: Located,
    r: &Resolution,
) -> FeedAnswer<'a> {
    let mut areas: BTreeMap<&str, Vec<AreaSummary<'_>>> = BTreeMap::new();
    for layer in region.layers.iter() {
        if matches!(
            layer.role,
            feedmap_geography::Role::Neighbourhood | feedmap_geography::Role::Community
        ) {
            areas.insert(&layer.id, Vec::new());
        }
    }
    for &feedmap_geography::area::AreaRef { layer: l, area: a } in
        r.communities.iter().chain(&r.neighbourhoods)
    {
        areas
            .entry(&region.layers[l].id)
            .or_default()
            .push(region.summary(l, a, None));
    }
    let feeds: Vec<FeedItem<'_>> = r
        .feeds
        .iter()
        .map(|hit| feed_item(region, registry, hit))
        .collect();
    let near_m = region.postcodes.as_ref().map_or(0.0, |p| p.near_boundary_m);
    let near_boundary = (located.via == Via::Postcode).then(|| {
        region
            .near_boundary(located.point, near_m, &r.holding())
            .into_iter()
            .map(|(at, d)| NearBoundary {
                area: region.summary(at.layer, at.area, Some(d)),
                feeds: registry
                    .of_area(at)
                    .iter()
                    .map(|&feed| {
                        feed_item(
                            region,
                            registry,
                            &FeedHit {
                                feed,
                                matched: Some(at),
                            },
                        )
                    })
                    .collect(),
            })
            .collect()
    });
    let mut by_platform = BTreeMap::new();
    for item in &feeds {
        by_platform
            .entry(item.platform)
            .or_insert_with(|| item.clone());
    }
    let feed_list = !registry.feeds.is_empty();
    let note = match located.note {
        _ if feed_list => located.note,
        Some(note) => Some(format!("{note}; {NO_FEED_LIST}")),
        None => Some(NO_FEED_LIST.to_string()),
    };
    FeedAnswer {
        via: located.via,
        point: located.point,
        postcode: located.postcode,
        note,
        coverage: r.coverage,
        feed_list,
        community: r
            .communities
            .first()
            .map(|at| region.summary(at.layer, at.area, None)),
        neighbourhood: r
            .neighbourhoods
            .first()
            .map(|at| region.summary(at.layer, at.area, None)),
        areas,
        feeds,
        by_platform,
        near_boundary,
        nearest_neighbourhood: r
            .nearest_neighbourhood
            .map(|(l, n)| region.summary(l, n.area, Some(n.distance_m))),
        candidates: located.candidates,
        attribution: &region.attribution,
    }
}
