//! The feed registry and resolution: which feeds serve a point, most
//! specific first.
//!
//! Feeds come from a CSV named in `region.toml` (`[feeds] file = …`), one
//! row per feed with the columns `feed_id, platform, handle, url, layer,
//! area_id, name, status`. A force-wide feed leaves `layer` and `area_id`
//! empty.

use feedmap_geography::area::AreaRef;
use feedmap_geography::boundary::Layer;
use feedmap_geography::index::Nearest;
use feedmap_geography::lookup::LatLon;
use feedmap_geography::manifest::Role;
use feedmap_geography::table::Table;
use feedmap_geography::validate::{quoted, Problem, ProblemKind};
use feedmap_store::{FeedEntry, FeedFields, Ownership, StoredFeed, Verification};

pub use feedmap_store::FeedStatus;
use serde::Serialize;
use smallvec::SmallVec;
use std::collections::HashMap;
use std::path::Path;

/// Where a feed's current fields come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeedSource {
    /// The region's feed file, unedited.
    File,
    /// The store: added or edited through the API.
    Store,
}

/// One feed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Feed {
    /// Unique id.
    pub feed_id: String,
    /// Platform, handle, URL, the area served, name and status.
    #[serde(flatten)]
    pub fields: FeedFields,
    /// Resolved (layer index, area index) of the area served.
    #[serde(skip)]
    pub target: Option<AreaRef>,
    /// Bumped by every edit through the API; 0 as in the feed file. The
    /// feed's ETag.
    pub version: i64,
    /// The feed file or the store.
    pub source: FeedSource,
    /// Why the feed cannot be used (its area is gone from the region, say):
    /// listed, never returned by lookups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Who holds it. Answers carry only the public part ([`PublicOwner`]):
    /// the administrators' names need a token (`/v1/feeds/{id}/owner`).
    #[serde(serialize_with = "public_owner")]
    #[schemars(with = "PublicOwner")]
    pub owner: Ownership,
}

/// The part of a feed's ownership anyone may see: no personal names.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PublicOwner {
    /// The owning team (a unit or role, not a person).
    pub team: Option<String>,
    /// How many administrators it has.
    pub administrators: usize,
    /// The platform's verification state.
    pub verification: Verification,
    /// When that was last seen.
    pub verified_on: Option<String>,
    /// Since when the feed has had its status.
    pub status_since: Option<String>,
}

impl PublicOwner {
    /// The public part of `o`.
    pub fn of(o: &Ownership) -> PublicOwner {
        PublicOwner {
            team: o.team.clone(),
            administrators: o.administrators.len(),
            verification: o.verification,
            verified_on: o.verified_on.clone(),
            status_since: o.status_since.clone(),
        }
    }
}

fn public_owner<S: serde::Serializer>(o: &Ownership, s: S) -> Result<S::Ok, S::Error> {
    PublicOwner::of(o).serialize(s)
}

/// Feeds re-attached by boundary releases: feed id → the moves (layer id,
/// old area id, new area id), oldest first, each applied while the feed is
/// on its old area (so successive releases chain).
pub type Moves = HashMap<String, Vec<(String, String, String)>>;

/// All feeds of a region, indexed by id and by area.
#[derive(Debug, Default)]
pub struct FeedRegistry {
    /// Feeds in file order.
    pub feeds: Vec<Feed>,
    by_id: HashMap<String, usize>,
    /// Active feeds per (layer, area), in file order.
    by_area: HashMap<AreaRef, Vec<usize>>,
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

/// The feed file's optional ownership columns: `team`, `administrators`
/// (names separated by `;`), `credentials`, `verification` (`verified`,
/// `pending` or `unverified`), `verified_on`, `checked_on` and
/// `status_since` (dates, `YYYY-MM-DD`).
pub const OWNER_COLUMNS: [&str; 7] = [
    "team",
    "administrators",
    "credentials",
    "verification",
    "verified_on",
    "checked_on",
    "status_since",
];

/// An ownership record from the cells of [`OWNER_COLUMNS`] (by position;
/// `None` for an empty or absent cell).
fn owner_from_cells<'a>(cell: impl Fn(usize) -> Option<&'a str>) -> Result<Ownership, String> {
    let verification = match cell(3) {
        None => Verification::Unverified,
        Some(w) => Verification::parse(w).ok_or_else(|| {
            format!(
                "verification {} must be \"verified\", \"pending\" or \"unverified\"",
                quoted(w)
            )
        })?,
    };
    Ok(Ownership {
        team: cell(0).map(str::to_string),
        administrators: cell(1)
            .map(|a| {
                a.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        credentials: cell(2).map(str::to_string),
        verification,
        verified_on: cell(4).map(str::to_string),
        checked_on: cell(5).map(str::to_string),
        status_since: cell(6).map(str::to_string),
    })
}

/// The longest team, administrator or credentials text accepted.
pub const MAX_OWNER_TEXT: usize = 200;

/// Checks an ownership record: dates are dates, names are not empty or
/// overlong, nobody is listed twice.
pub fn check_owner(o: &Ownership) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    let mut bad = |field: &'static str, detail: String| {
        problems.push(FieldProblem {
            kind: ProblemKind::BadValue,
            field,
            detail,
        })
    };
    for (field, v) in [
        ("verified_on", &o.verified_on),
        ("checked_on", &o.checked_on),
        ("status_since", &o.status_since),
    ] {
        if let Some(d) = v {
            if !feedmap_geography::calendar::is_date(d) {
                bad(
                    field,
                    format!("{field} {} is not a date (YYYY-MM-DD)", quoted(d)),
                );
            }
        }
    }
    for (field, v) in [("team", &o.team), ("credentials", &o.credentials)] {
        if let Some(t) = v {
            if t.trim().is_empty() || t.chars().count() > MAX_OWNER_TEXT {
                bad(
                    field,
                    format!("{field} must be 1 to {MAX_OWNER_TEXT} characters (omit it for none)"),
                );
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for a in &o.administrators {
        if a.trim().is_empty() || a.chars().count() > MAX_OWNER_TEXT {
            bad(
                "administrators",
                format!("each administrator must be a name of 1 to {MAX_OWNER_TEXT} characters"),
            );
        } else if !seen.insert(a.trim().to_lowercase()) {
            bad(
                "administrators",
                format!("administrator {a:?} is listed twice"),
            );
        }
    }
    problems
}

/// What is wrong with one field of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    /// The kind, as validation reports it.
    pub kind: ProblemKind,
    /// The field.
    pub field: &'static str,
    /// What is wrong and what would do.
    pub detail: String,
}

/// Checks one feed against the region's layers, the same rules for the
/// feed file and the API: every problem is returned, not just the first.
/// An empty name becomes the handle; a blank layer or area id is none.
pub fn check(
    feed_id: &str,
    entry: &FeedEntry,
    layers: &[Layer],
) -> Result<Feed, Vec<FieldProblem>> {
    let mut problems = check_owner(&entry.owner);
    let FeedFields {
        platform,
        handle,
        url,
        layer,
        area_id,
        name,
        status,
    } = &entry.fields;
    let layer = layer.as_deref().unwrap_or("");
    let area_id = area_id.as_deref().unwrap_or("");
    let mut bad = |kind: ProblemKind, field: &'static str, detail: String| {
        problems.push(FieldProblem {
            kind,
            field,
            detail,
        })
    };
    if feed_id.is_empty() {
        bad(ProblemKind::MissingId, "feed_id", "feed_id is empty".into());
    }
    if !is_platform_word(platform) {
        bad(
            ProblemKind::BadPlatform,
            "platform",
            format!(
                "platform {} must be a lowercase word such as {}",
                quoted(platform),
                KNOWN_PLATFORMS.join(", ")
            ),
        );
    }
    if handle.is_empty() {
        bad(
            ProblemKind::MissingHandle,
            "handle",
            "handle is empty".into(),
        );
    }
    match url::Url::parse(url) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| !h.is_empty()) => {}
        _ => bad(
            ProblemKind::BadUrl,
            "url",
            format!("url {} is not an absolute http(s) URL", quoted(url)),
        ),
    }
    let target = match (layer.is_empty(), area_id.is_empty()) {
        (true, true) => None,
        (true, false) | (false, true) => {
            bad(
                ProblemKind::UnknownArea,
                if layer.is_empty() { "layer" } else { "area_id" },
                "layer and area_id go together: both empty for a force-wide feed, both set otherwise".into(),
            );
            None
        }
        (false, false) => match layers.iter().position(|l| l.id == layer) {
            None => {
                bad(
                    ProblemKind::UnknownLayer,
                    "layer",
                    format!(
                        "layer {} is not in the region (layers: {})",
                        quoted(layer),
                        layers
                            .iter()
                            .map(|l| l.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                None
            }
            Some(li)
                if matches!(
                    layers[li].role,
                    Role::Context | Role::Population | Role::BuiltUp
                ) =>
            {
                bad(
                    ProblemKind::UnknownLayer,
                    "layer",
                    format!("layer {layer:?} is a {} layer; feeds serve neighbourhood or community areas", layers[li].role.as_str()),
                );
                None
            }
            Some(li) => match layers[li].area_index(area_id) {
                Some(ai) => Some(AreaRef::new(li, ai)),
                None => {
                    bad(
                        ProblemKind::UnknownArea,
                        "area_id",
                        format!("area_id {} is not in layer {layer:?}", quoted(area_id)),
                    );
                    None
                }
            },
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Feed {
        feed_id: feed_id.into(),
        fields: FeedFields {
            platform: platform.clone(),
            handle: handle.clone(),
            url: url.clone(),
            layer: target.map(|_| layer.to_string()),
            area_id: target.map(|_| area_id.to_string()),
            name: if name.is_empty() { handle } else { name }.clone(),
            status: *status,
        },
        target,
        version: 0,
        source: FeedSource::File,
        problem: None,
        owner: entry.owner.clone(),
    })
}

/// The problem with a status word of the feed file.
fn bad_status(word: &str) -> FieldProblem {
    let words: Vec<String> = FeedStatus::ALL
        .iter()
        .map(|s| format!("{:?}", s.as_str()))
        .collect();
    FieldProblem {
        kind: ProblemKind::BadStatus,
        field: "status",
        detail: format!("status {} must be {}", quoted(word), or_list(&words)),
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(words: &[String]) -> String {
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

impl Feed {
    /// The fields and owner, as the store keeps them.
    pub fn entry(&self) -> FeedEntry {
        FeedEntry {
            fields: self.fields.clone(),
            owner: self.owner.clone(),
        }
    }
}

impl FeedRegistry {
    /// Loads and validates a feed CSV against the region's layers. Besides
    /// the required columns, the optional [`OWNER_COLUMNS`] say who holds
    /// each feed. Every bad
    /// row is reported (line, feed id, field, reason); the caller keeps
    /// nothing unless there are no problems.
    pub fn load(file: &Path, layers: &[Layer], problems: &mut Vec<Problem>) -> FeedRegistry {
        let mut feeds: Vec<Feed> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let Some(table) = Table::open(file, "[feeds]", problems) else {
            return FeedRegistry::default();
        };
        let before = problems.len();
        let cols: Vec<Option<usize>> = [
            "feed_id", "platform", "handle", "url", "layer", "area_id", "name", "status",
        ]
        .iter()
        .map(|c| table.column(c, problems))
        .collect();
        if problems.len() > before {
            return FeedRegistry::default();
        }
        let col = |i: usize| cols[i].expect("checked above");
        let owner_cols: Vec<Option<usize>> = OWNER_COLUMNS.iter().map(|c| table.find(c)).collect();
        table.rows(problems, |table, line, rec, problems| {
            let get = |c: usize| rec.get(col(c)).unwrap_or("").trim();
            let cell = |i: usize| {
                owner_cols[i]
                    .and_then(|c| rec.get(c))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
            };
            let owner = match owner_from_cells(cell) {
                Ok(o) => o,
                Err(detail) => {
                    problems.push(table.problem(line, Some(get(0)), ProblemKind::BadValue, detail));
                    return;
                }
            };
            let feed_id = get(0);
            let status = FeedStatus::parse(get(7));
            let blank_none = |v: &str| (!v.is_empty()).then(|| v.to_string());
            let entry = FeedEntry {
                fields: FeedFields {
                    platform: get(1).into(),
                    handle: get(2).into(),
                    url: get(3).into(),
                    layer: blank_none(get(4)),
                    area_id: blank_none(get(5)),
                    name: get(6).into(),
                    status: status.unwrap_or_default(),
                },
                owner,
            };
            let mut fine = true;
            if let Some(&first) = by_id.get(feed_id) {
                problems.push(table.problem(
                    line,
                    Some(feed_id),
                    ProblemKind::DuplicateId,
                    format!("feed_id {feed_id:?} is already used on line {}", first + 2),
                ));
                fine = false;
            }
            let mut found = match check(feed_id, &entry, layers) {
                Ok(feed) if fine && status.is_some() => {
                    by_id.insert(feed.feed_id.clone(), feeds.len());
                    feeds.push(feed);
                    return;
                }
                Ok(_) => Vec::new(),
                Err(found) => found,
            };
            if status.is_none() {
                // Where the file's checks have always listed it: before
                // the area served.
                let at = found
                    .iter()
                    .position(|p| matches!(p.field, "layer" | "area_id"))
                    .unwrap_or(found.len());
                found.insert(at, bad_status(get(7)));
            }
            for p in found {
                problems.push(table.problem(line, Some(feed_id), p.kind, p.detail));
            }
        });
        FeedRegistry::from_feeds(feeds)
    }

    /// Indexes feeds (in order): active ones by the area they serve,
    /// force-wide ones apart. Retired feeds and feeds with a problem are
    /// listed but never indexed, so lookups never return them.
    pub fn from_feeds(feeds: Vec<Feed>) -> FeedRegistry {
        let mut reg = FeedRegistry {
            feeds,
            ..FeedRegistry::default()
        };
        for (i, f) in reg.feeds.iter().enumerate() {
            reg.by_id.insert(f.feed_id.clone(), i);
            if f.fields.status != FeedStatus::Active || f.problem.is_some() {
                continue;
            }
            match f.target {
                Some(t) => reg.by_area.entry(t).or_default().push(i),
                None => reg.force_wide.push(i),
            }
        }
        reg
    }

    /// The feeds in effect over `layers`: the feed file's, each replaced in
    /// place by its stored edit if it has one, then the feeds added through
    /// the store (oldest first). `moves` re-attaches feeds to the areas
    /// boundary releases gave them (see [`Moves`]). A feed whose
    /// area is not in `layers` (gone after a boundary change) stays listed
    /// with its `problem` and is never returned by lookups.
    pub fn merged(
        file: &FeedRegistry,
        stored: &[StoredFeed],
        layers: &[Layer],
        moves: &Moves,
    ) -> FeedRegistry {
        let resolve = |feed_id: &str, x: &FeedEntry, version: i64, source: FeedSource| {
            let mut x = x.clone();
            let f = &mut x.fields;
            for (layer, from, to) in moves.get(feed_id).into_iter().flatten() {
                if f.layer.as_deref() == Some(layer) && f.area_id.as_deref() == Some(from) {
                    f.area_id = Some(to.clone());
                }
            }
            let mut feed = check(feed_id, &x, layers).unwrap_or_else(|problems| Feed {
                feed_id: feed_id.into(),
                fields: x.fields.clone(),
                target: None,
                version: 0,
                source,
                problem: Some(
                    problems
                        .iter()
                        .map(|p| p.detail.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                owner: x.owner.clone(),
            });
            feed.version = version;
            feed.source = source;
            feed
        };
        let by_id: HashMap<&str, &StoredFeed> =
            stored.iter().map(|s| (s.feed_id.as_str(), s)).collect();
        let mut feeds: Vec<Feed> = file
            .feeds
            .iter()
            .map(|f| match by_id.get(f.feed_id.as_str()) {
                Some(s) => resolve(&s.feed_id, &s.entry, s.meta.version, FeedSource::Store),
                None => resolve(&f.feed_id, &f.entry(), 0, FeedSource::File),
            })
            .collect();
        let mut added: Vec<&StoredFeed> = stored
            .iter()
            .filter(|s| file.get(&s.feed_id).is_none())
            .collect();
        added.sort_by(|a, b| {
            (&a.meta.created_at, &a.feed_id).cmp(&(&b.meta.created_at, &b.feed_id))
        });
        feeds.extend(
            added
                .into_iter()
                .map(|s| resolve(&s.feed_id, &s.entry, s.meta.version, FeedSource::Store)),
        );
        FeedRegistry::from_feeds(feeds)
    }

    /// A feed by id.
    pub fn get(&self, feed_id: &str) -> Option<&Feed> {
        self.by_id.get(feed_id).map(|&i| &self.feeds[i])
    }

    /// Active feeds of one area.
    pub fn of_area(&self, at: AreaRef) -> &[usize] {
        self.by_area.get(&at).map_or(&[], Vec::as_slice)
    }

    /// Whether any active feed serves this area.
    pub fn serves(&self, at: AreaRef) -> bool {
        !self.of_area(at).is_empty()
    }

    /// Active force-wide feeds.
    pub fn force_wide(&self) -> &[usize] {
        &self.force_wide
    }
}

/// How well a point is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "PointCoverage")]
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
    pub matched: Option<AreaRef>,
}

/// Areas held inline: a point is rarely in more than a handful, and the
/// resolution is the hot path, so it should not allocate.
pub type AreaList = SmallVec<[AreaRef; 4]>;

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

impl Resolution {
    /// The community and neighbourhood areas holding the point.
    pub fn holding(&self) -> AreaList {
        self.communities
            .iter()
            .chain(&self.neighbourhoods)
            .copied()
            .collect()
    }
}

impl FeedRegistry {
    /// Resolves the feeds for a point: active feeds of the community areas
    /// containing it (smallest area first when community layers overlap),
    /// then of its neighbourhood, then force-wide feeds. Only neighbourhood
    /// and community layers of `layers` (the region's, whose indexes this
    /// registry's targets use) are consulted, so context layers cost nothing
    /// on this hot path.
    pub fn resolve(&self, layers: &[Layer], p: LatLon) -> Resolution {
        let mut r = self.resolve_within(layers, p);
        if r.coverage == Coverage::Outside {
            r.nearest_neighbourhood = nearest_neighbourhood(layers, p);
        }
        r
    }

    /// [`FeedRegistry::resolve`] without the nearest-neighbourhood search
    /// for a point outside every neighbourhood (`nearest_neighbourhood` is
    /// left `None`): for answers that do not show it, such as the batch CSV,
    /// where that search would be most of the cost of an outside point.
    pub fn resolve_within(&self, layers: &[Layer], p: LatLon) -> Resolution {
        let mut communities = AreaList::new();
        let mut neighbourhoods = AreaList::new();
        let mut found = SmallVec::<[usize; 4]>::new();
        for (li, layer) in layers.iter().enumerate() {
            let target = match layer.role {
                Role::Community => &mut communities,
                Role::Neighbourhood => &mut neighbourhoods,
                Role::Context | Role::Population | Role::BuiltUp => continue,
            };
            layer
                .index
                .locate_into(&layer.areas, p.lon, p.lat, &mut found);
            target.extend(found.iter().map(|&a| AreaRef::new(li, a)));
        }
        if communities.len() > 1 {
            communities.sort_by(|a, b| {
                layers[a.layer].areas[a.area]
                    .area_m2
                    .total_cmp(&layers[b.layer].areas[b.area].area_m2)
                    .then(a.layer.cmp(&b.layer))
            });
        }
        let mut feeds = SmallVec::new();
        let mut coverage = Coverage::Force;
        for &at in &communities {
            for &f in self.of_area(at) {
                feeds.push(FeedHit {
                    feed: f,
                    matched: Some(at),
                });
                coverage = Coverage::Community;
            }
        }
        for &at in &neighbourhoods {
            for &f in self.of_area(at) {
                feeds.push(FeedHit {
                    feed: f,
                    matched: Some(at),
                });
                if coverage == Coverage::Force {
                    coverage = Coverage::Neighbourhood;
                }
            }
        }
        feeds.extend(self.force_wide().iter().map(|&f| FeedHit {
            feed: f,
            matched: None,
        }));
        if neighbourhoods.is_empty() {
            coverage = Coverage::Outside;
        }
        Resolution {
            feeds,
            communities,
            neighbourhoods,
            coverage,
            nearest_neighbourhood: None,
        }
    }
}

/// The nearest area of any neighbourhood layer (layer index and distance).
fn nearest_neighbourhood(layers: &[Layer], p: LatLon) -> Option<(usize, Nearest)> {
    let mut nearest = None;
    for (li, layer) in layers.iter().enumerate() {
        if layer.role == Role::Neighbourhood {
            if let Some(n) = layer.index.nearest(&layer.areas, p.lon, p.lat) {
                if nearest.is_none_or(|(_, b): (usize, Nearest)| n.distance_m < b.distance_m) {
                    nearest = Some((li, n));
                }
            }
        }
    }
    nearest
}
