//! The feed registry and resolution: which feeds serve a point, most
//! specific first.
//!
//! Feeds come from a CSV named in `region.toml` (`[feeds] file = …`), one
//! row per feed with the columns `feed_id, platform, handle, url, layer,
//! area_id, name, status`. A force-wide feed leaves `layer` and `area_id`
//! empty.

use crate::boundary::Layer;
use crate::index::Nearest;
use crate::lookup::LatLon;
use crate::manifest::Role;
use crate::region::Region;
use crate::table::Table;
use crate::validate::{Problem, ProblemKind};
use serde::Serialize;
use smallvec::SmallVec;
use std::collections::HashMap;
use std::path::Path;

/// Whether a feed is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedStatus {
    /// Running: returned by lookups.
    Active,
    /// Proposed or being set up: listed, never returned by lookups.
    Planned,
}

/// One feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feed {
    /// Unique id.
    pub feed_id: String,
    /// Platform word: `x`, `facebook`, `instagram`, `nextdoor`, `whatsapp`
    /// or any other lowercase word.
    pub platform: String,
    /// Account handle, e.g. `@GMPTrafford`.
    pub handle: String,
    /// Public URL of the feed.
    pub url: String,
    /// Layer id of the area served; `None` for force-wide.
    pub layer: Option<String>,
    /// Area id served; `None` for force-wide.
    pub area_id: Option<String>,
    /// Display name.
    pub name: String,
    /// Active or planned.
    pub status: FeedStatus,
    /// Resolved (layer index, area index) of the area served.
    #[serde(skip)]
    pub target: Option<(usize, usize)>,
}

/// All feeds of a region, indexed by id and by area.
#[derive(Debug, Default)]
pub struct FeedRegistry {
    /// Feeds in file order.
    pub feeds: Vec<Feed>,
    by_id: HashMap<String, usize>,
    /// Active feeds per (layer, area), in file order.
    by_area: HashMap<(usize, usize), Vec<usize>>,
    /// Active force-wide feeds, in file order.
    force_wide: Vec<usize>,
}

/// Platforms feedmap knows by name; any other lowercase word is accepted
/// too, so a new platform needs no code change.
pub const KNOWN_PLATFORMS: &[&str] = &["x", "facebook", "instagram", "nextdoor", "whatsapp"];

fn is_platform_word(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl FeedRegistry {
    /// Loads and validates a feed CSV against the region's layers. Every bad
    /// row is reported (line, feed id, field, reason); the caller keeps
    /// nothing unless there are no problems.
    pub fn load(file: &Path, layers: &[Layer], problems: &mut Vec<Problem>) -> FeedRegistry {
        let mut reg = FeedRegistry::default();
        let Some(table) = Table::open(file, "[feeds]", problems) else {
            return reg;
        };
        let before = problems.len();
        let cols: Vec<Option<usize>> = [
            "feed_id", "platform", "handle", "url", "layer", "area_id", "name", "status",
        ]
        .iter()
        .map(|c| table.column(c, problems))
        .collect();
        if problems.len() > before {
            return reg;
        }
        let col = |i: usize| cols[i].expect("checked above");
        table.rows(problems, |table, line, rec, problems| {
            let get = |c: usize| rec.get(col(c)).unwrap_or("").trim().to_string();
            let (feed_id, platform, handle, url, layer, area_id, name, status) = (
                get(0),
                get(1),
                get(2),
                get(3),
                get(4),
                get(5),
                get(6),
                get(7),
            );
            let before = problems.len();
            let mut bad = |kind: ProblemKind, detail: String| {
                problems.push(table.problem(line, Some(&feed_id), kind, detail));
            };
            if feed_id.is_empty() {
                bad(ProblemKind::MissingId, "feed_id is empty".into());
            } else if let Some(&first) = reg.by_id.get(&feed_id) {
                bad(
                    ProblemKind::DuplicateId,
                    format!("feed_id {feed_id:?} is already used on line {}", first + 2),
                );
            }
            if !is_platform_word(&platform) {
                bad(
                    ProblemKind::BadPlatform,
                    format!(
                        "platform {platform:?} must be a lowercase word such as {}",
                        KNOWN_PLATFORMS.join(", ")
                    ),
                );
            }
            if handle.is_empty() {
                bad(ProblemKind::MissingHandle, "handle is empty".into());
            }
            match url::Url::parse(&url) {
                Ok(u)
                    if matches!(u.scheme(), "http" | "https")
                        && u.host_str().is_some_and(|h| !h.is_empty()) => {}
                _ => bad(
                    ProblemKind::BadUrl,
                    format!("url {url:?} is not an absolute http(s) URL"),
                ),
            }
            let status = match status.as_str() {
                "active" => Some(FeedStatus::Active),
                "planned" => Some(FeedStatus::Planned),
                other => {
                    bad(
                        ProblemKind::BadStatus,
                        format!("status {other:?} must be \"active\" or \"planned\""),
                    );
                    None
                }
            };
            let target = match (layer.is_empty(), area_id.is_empty()) {
                (true, true) => None,
                (true, false) | (false, true) => {
                    bad(
                        ProblemKind::UnknownArea,
                        "layer and area_id go together: both empty for a force-wide feed, both set otherwise".into(),
                    );
                    None
                }
                (false, false) => match layers.iter().position(|l| l.id == layer) {
                    None => {
                        bad(
                            ProblemKind::UnknownLayer,
                            format!(
                                "layer {layer:?} is not in the region (layers: {})",
                                layers
                                    .iter()
                                    .map(|l| l.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                        None
                    }
                    Some(li) if matches!(layers[li].role, Role::Context | Role::Population) => {
                        bad(
                            ProblemKind::UnknownLayer,
                            format!("layer {layer:?} is a {} layer; feeds serve neighbourhood or community areas", layers[li].role.as_str()),
                        );
                        None
                    }
                    Some(li) => match layers[li].area_index(&area_id) {
                        Some(ai) => Some((li, ai)),
                        None => {
                            bad(
                                ProblemKind::UnknownArea,
                                format!("area_id {area_id:?} is not in layer {layer:?}"),
                            );
                            None
                        }
                    },
                },
            };
            if problems.len() > before {
                return;
            }
            let index = reg.feeds.len();
            reg.by_id.insert(feed_id.clone(), index);
            let status = status.expect("valid when no problem");
            if status == FeedStatus::Active {
                match target {
                    Some(t) => reg.by_area.entry(t).or_default().push(index),
                    None => reg.force_wide.push(index),
                }
            }
            let name = if name.is_empty() {
                handle.clone()
            } else {
                name
            };
            reg.feeds.push(Feed {
                feed_id,
                platform,
                handle,
                url,
                layer: target.map(|_| layer),
                area_id: target.map(|_| area_id),
                name,
                status,
                target,
            });
        });
        reg
    }

    /// A feed by id.
    pub fn get(&self, feed_id: &str) -> Option<&Feed> {
        self.by_id.get(feed_id).map(|&i| &self.feeds[i])
    }

    /// Active feeds of one area.
    pub fn of_area(&self, layer: usize, area: usize) -> &[usize] {
        self.by_area.get(&(layer, area)).map_or(&[], Vec::as_slice)
    }

    /// Whether any active feed serves this area.
    pub fn serves(&self, layer: usize, area: usize) -> bool {
        !self.of_area(layer, area).is_empty()
    }

    /// Active force-wide feeds.
    pub fn force_wide(&self) -> &[usize] {
        &self.force_wide
    }
}

/// How well a point is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Coverage {
    /// A community feed serves it.
    Community,
    /// Only its neighbourhood's feed serves it.
    Neighbourhood,
    /// It is in a neighbourhood without an active feed: force-wide only.
    Force,
    /// It is outside every neighbourhood.
    Outside,
}

impl Coverage {
    /// The lowercase word used in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Coverage::Community => "community",
            Coverage::Neighbourhood => "neighbourhood",
            Coverage::Force => "force",
            Coverage::Outside => "outside",
        }
    }
}

/// A feed in a resolution, with the area that earned it its place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedHit {
    /// Index into the registry.
    pub feed: usize,
    /// The (layer, area) it serves; `None` for force-wide.
    pub matched: Option<(usize, usize)>,
}

/// Areas held inline: a point is rarely in more than a handful, and the
/// resolution is the hot path, so it should not allocate.
pub type AreaList = SmallVec<[(usize, usize); 4]>;

/// The feeds for a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// Feeds, most specific first.
    pub feeds: SmallVec<[FeedHit; 8]>,
    /// Community areas containing the point, smallest first.
    pub communities: AreaList,
    /// Neighbourhood areas containing the point.
    pub neighbourhoods: AreaList,
    /// Coverage class.
    pub coverage: Coverage,
    /// When outside: the nearest neighbourhood (layer index and distance).
    pub nearest_neighbourhood: Option<(usize, Nearest)>,
}

impl Region {
    /// Resolves the feeds for a point: active feeds of the community areas
    /// containing it (smallest area first when community layers overlap),
    /// then of its neighbourhood, then force-wide feeds. Only neighbourhood
    /// and community layers are consulted, so context layers cost nothing
    /// on this hot path.
    pub fn resolve(&self, p: LatLon) -> Resolution {
        let mut communities = AreaList::new();
        let mut neighbourhoods = AreaList::new();
        let mut found = SmallVec::<[usize; 4]>::new();
        for (li, layer) in self.layers.iter().enumerate() {
            let target = match layer.role {
                Role::Community => &mut communities,
                Role::Neighbourhood => &mut neighbourhoods,
                Role::Context | Role::Population => continue,
            };
            layer
                .index
                .locate_into(&layer.areas, p.lon, p.lat, &mut found);
            target.extend(found.iter().map(|&a| (li, a)));
        }
        if communities.len() > 1 {
            communities.sort_by(|&(la, a), &(lb, b)| {
                self.layers[la].areas[a]
                    .area_m2
                    .total_cmp(&self.layers[lb].areas[b].area_m2)
                    .then(la.cmp(&lb))
            });
        }
        let mut feeds = SmallVec::new();
        let mut coverage = Coverage::Force;
        for &(l, a) in &communities {
            for &f in self.feeds.of_area(l, a) {
                feeds.push(FeedHit {
                    feed: f,
                    matched: Some((l, a)),
                });
                coverage = Coverage::Community;
            }
        }
        for &(l, a) in &neighbourhoods {
            for &f in self.feeds.of_area(l, a) {
                feeds.push(FeedHit {
                    feed: f,
                    matched: Some((l, a)),
                });
                if coverage == Coverage::Force {
                    coverage = Coverage::Neighbourhood;
                }
            }
        }
        feeds.extend(self.feeds.force_wide().iter().map(|&f| FeedHit {
            feed: f,
            matched: None,
        }));
        let mut nearest_neighbourhood = None;
        if neighbourhoods.is_empty() {
            coverage = Coverage::Outside;
            for (li, layer) in self.layers.iter().enumerate() {
                if layer.role == Role::Neighbourhood {
                    if let Some(n) = layer.index.nearest(&layer.areas, p.lon, p.lat) {
                        let better = nearest_neighbourhood
                            .is_none_or(|(_, b): (usize, Nearest)| n.distance_m < b.distance_m);
                        if better {
                            nearest_neighbourhood = Some((li, n));
                        }
                    }
                }
            }
        }
        Resolution {
            feeds,
            communities,
            neighbourhoods,
            coverage,
            nearest_neighbourhood,
        }
    }
}
