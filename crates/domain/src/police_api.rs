//! The data.police.uk neighbourhood API, answered from a region: the same
//! paths (under `/police-api/`), the same response shapes field for field,
//! so an integration written for data.police.uk changes only its base URL.
//!
//! The force is the manifest's `[force]`; its neighbourhoods are the areas
//! of the region's neighbourhood layers (in layer order, then file order).
//! `contact_details` comes from each neighbourhood's own active feeds
//! (platform `x` or `twitter` → `twitter`, `facebook` → `facebook`, …),
//! each its feed's public URL. What data.police.uk's shapes cannot carry
//! (feeds on other platforms, and the community feeds inside the
//! neighbourhood) is in one added key, `feedmap`. Coordinates and the
//! population are strings, as data.police.uk gives them.
//!
//! Every function answers `None` where data.police.uk answers 404 (an
//! unknown force or neighbourhood, a point in no neighbourhood).

use crate::feeds::{Feed, FeedRegistry};
use feedmap_geography::area::AreaRef;
use feedmap_geography::manifest::{ForceSpec, Role};
use feedmap_geography::region::Region;
use geo::InteriorPoint;
use serde::Serialize;

/// An entry of `GET /forces`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ForceBrief {
    /// Force id.
    pub id: String,
    /// Force name.
    pub name: String,
}

/// A way to reach the force (`engagement_methods`): one per force-wide
/// active feed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct EngagementMethod {
    /// The feed's public URL.
    pub url: String,
    /// The feed's display name.
    pub description: Option<String>,
    /// The platform as data.police.uk titles it (`Twitter`, `Facebook`, …).
    pub title: String,
}

/// `GET /forces/{force}`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ForceDetail {
    /// Description (`[force].description`).
    pub description: Option<String>,
    /// Website (`[force].url`).
    pub url: Option<String>,
    /// The force-wide active feeds.
    pub engagement_methods: Vec<EngagementMethod>,
    /// Telephone (`[force].telephone`).
    pub telephone: Option<String>,
    /// Force id.
    pub id: String,
    /// Force name.
    pub name: String,
}

/// An entry of `GET /{force}/neighbourhoods`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NeighbourhoodBrief {
    /// Neighbourhood id (the area id).
    pub id: String,
    /// Neighbourhood name.
    pub name: String,
}

/// A point as data.police.uk writes it: decimal degrees in strings.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Coordinates {
    /// Latitude, degrees north.
    pub latitude: String,
    /// Longitude, degrees east.
    pub longitude: String,
}

impl Coordinates {
    /// Degrees rounded to 7 decimals (about 1 cm), no trailing zeros.
    fn of(lon: f64, lat: f64) -> Coordinates {
        let text = |v: f64| ((v * 1e7).round() / 1e7).to_string();
        Coordinates {
            latitude: text(lat),
            longitude: text(lon),
        }
    }
}

/// `contact_details`: data.police.uk's keys, each present only when a feed
/// of the neighbourhood fills it (the first active one on its platform).
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ContactDetails {
    /// X (Twitter) URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twitter: Option<String>,
    /// Facebook URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facebook: Option<String>,
    /// YouTube URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub youtube: Option<String>,
    /// Flickr URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flickr: Option<String>,
    /// RSS URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss: Option<String>,
}

impl ContactDetails {
    /// The slot a platform fills, if data.police.uk has one for it.
    fn slot(&mut self, platform: &str) -> Option<&mut Option<String>> {
        match platform {
            "x" | "twitter" => Some(&mut self.twitter),
            "facebook" => Some(&mut self.facebook),
            "youtube" => Some(&mut self.youtube),
            "flickr" => Some(&mut self.flickr),
            "rss" => Some(&mut self.rss),
            _ => None,
        }
    }
}

/// One feed in the added `feedmap` key.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FeedBrief {
    /// Feed id.
    pub feed_id: String,
    /// Platform word.
    pub platform: String,
    /// Handle.
    pub handle: String,
    /// Public URL.
    pub url: String,
    /// Display name.
    pub name: String,
    /// Layer of the area it serves.
    pub layer: String,
    /// Id of the area it serves.
    pub area_id: String,
    /// Name of the area it serves.
    pub area_name: String,
}

/// What feedmap adds to a neighbourhood (one key data.police.uk does not
/// use).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Added {
    /// The neighbourhood's own active feeds, every platform.
    pub neighbourhood_feeds: Vec<FeedBrief>,
    /// Active feeds of the communities assigned to the neighbourhood
    /// (those it holds most of), smallest community first.
    pub community_feeds: Vec<FeedBrief>,
}

/// `GET /{force}/{neighbourhood}`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Neighbourhood {
    /// The neighbourhood's page on the force's site
    /// (`[force].neighbourhood_url`).
    pub url_force: Option<String>,
    /// Feed URLs in data.police.uk's keys.
    pub contact_details: ContactDetails,
    /// Name.
    pub name: String,
    /// Related links (none).
    pub links: Vec<serde_json::Value>,
    /// A point inside the neighbourhood.
    pub centre: Coordinates,
    /// Police stations and the like (none).
    pub locations: Vec<serde_json::Value>,
    /// Description (none).
    pub description: Option<String>,
    /// Id.
    pub id: String,
    /// Residents, rounded (`"0"` when unknown, as data.police.uk).
    pub population: String,
    /// feedmap's addition: the neighbourhood's and its communities' feeds.
    pub feedmap: Added,
}

/// `GET /locate-neighbourhood?q=lat,lng`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Located {
    /// Force id.
    pub force: String,
    /// Neighbourhood id.
    pub neighbourhood: String,
}

/// The force when `id` names it (ASCII case ignored, as data.police.uk).
fn force<'r>(region: &'r Region, id: &str) -> Option<&'r ForceSpec> {
    region
        .force
        .as_deref()
        .filter(|f| f.id.eq_ignore_ascii_case(id))
}

/// `GET /forces`: the region's force, or none.
pub fn forces(region: &Region) -> Vec<ForceBrief> {
    region
        .force
        .iter()
        .map(|f| ForceBrief {
            id: f.id.clone(),
            name: f.name.clone(),
        })
        .collect()
}

/// data.police.uk's title for a platform word.
fn platform_title(platform: &str) -> String {
    match platform {
        "x" | "twitter" => "Twitter".into(),
        "youtube" => "YouTube".into(),
        "rss" => "RSS".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// `GET /forces/{force}`.
pub fn force_detail(region: &Region, feeds: &FeedRegistry, id: &str) -> Option<ForceDetail> {
    let f = force(region, id)?;
    Some(ForceDetail {
        description: f.description.clone(),
        url: f.url.clone(),
        engagement_methods: feeds
            .force_wide()
            .iter()
            .map(|&i| {
                let feed = &feeds.feeds[i];
                EngagementMethod {
                    url: feed.fields.url.clone(),
                    description: Some(feed.fields.name.clone()),
                    title: platform_title(&feed.fields.platform),
                }
            })
            .collect(),
        telephone: f.telephone.clone(),
        id: f.id.clone(),
        name: f.name.clone(),
    })
}

/// Every neighbourhood area, in layer order then file order.
fn neighbourhood_areas(region: &Region) -> impl Iterator<Item = AreaRef> + '_ {
    region
        .layers
        .iter()
        .enumerate()
        .filter(|(_, l)| l.role == Role::Neighbourhood)
        .flat_map(|(li, l)| (0..l.areas.len()).map(move |a| AreaRef::new(li, a)))
}

/// The neighbourhood with id `id` (the first neighbourhood layer holding
/// it).
fn neighbourhood_ref(region: &Region, id: &str) -> Option<AreaRef> {
    region
        .layers
        .iter()
        .enumerate()
        .filter(|(_, l)| l.role == Role::Neighbourhood)
        .find_map(|(li, l)| l.area_index(id).map(|a| AreaRef::new(li, a)))
}

/// `GET /{force}/neighbourhoods`.
pub fn neighbourhoods(region: &Region, force_id: &str) -> Option<Vec<NeighbourhoodBrief>> {
    force(region, force_id)?;
    Some(
        neighbourhood_areas(region)
            .map(|at| {
                let a = &region.layers[at.layer].areas[at.area];
                NeighbourhoodBrief {
                    id: a.id.clone(),
                    name: a.name.clone(),
                }
            })
            .collect(),
    )
}

fn brief(region: &Region, feed: &Feed, at: AreaRef) -> FeedBrief {
    let l = &region.layers[at.layer];
    FeedBrief {
        feed_id: feed.feed_id.clone(),
        platform: feed.fields.platform.clone(),
        handle: feed.fields.handle.clone(),
        url: feed.fields.url.clone(),
        name: feed.fields.name.clone(),
        layer: l.id.clone(),
        area_id: l.areas[at.area].id.clone(),
        area_name: l.areas[at.area].name.clone(),
    }
}

/// `GET /{force}/{neighbourhood}`.
pub fn neighbourhood(
    region: &Region,
    feeds: &FeedRegistry,
    force_id: &str,
    id: &str,
) -> Option<Neighbourhood> {
    let f = force(region, force_id)?;
    let at = neighbourhood_ref(region, id)?;
    let area = &region.layers[at.layer].areas[at.area];
    let mut contact = ContactDetails::default();
    let mut own = Vec::new();
    for &i in feeds.of_area(at) {
        let feed = &feeds.feeds[i];
        if let Some(slot) = contact.slot(&feed.fields.platform) {
            slot.get_or_insert_with(|| feed.fields.url.clone());
        }
        own.push(brief(region, feed, at));
    }
    // The communities this neighbourhood holds most of, smallest first
    // (most specific first, like lookups).
    let mut communities: Vec<AreaRef> = region
        .relations
        .children_of(at.layer, at.area)
        .into_iter()
        .filter(|r| {
            region
                .relations
                .primary_parent(r.child_layer, r.child_area)
                .is_some_and(|p| p.parent_layer == at.layer && p.parent_area == at.area)
        })
        .map(|r| AreaRef::new(r.child_layer, r.child_area))
        .collect();
    communities.sort_by(|a, b| {
        let m2 = |r: &AreaRef| region.layers[r.layer].areas[r.area].area_m2;
        m2(a).total_cmp(&m2(b)).then(a.cmp(b))
    });
    let community_feeds = communities
        .iter()
        .flat_map(|&c| {
            feeds
                .of_area(c)
                .iter()
                .map(move |&i| brief(region, &feeds.feeds[i], c))
        })
        .collect();
    let centre = area
        .geometry
        .interior_point()
        .map(|p| Coordinates::of(p.x(), p.y()))
        .unwrap_or_else(|| Coordinates::of(0.0, 0.0));
    Some(Neighbourhood {
        url_force: f
            .neighbourhood_url
            .as_ref()
            .map(|u| u.replace("{id}", &area.id)),
        contact_details: contact,
        name: area.name.clone(),
        links: Vec::new(),
        centre,
        locations: Vec::new(),
        description: None,
        id: area.id.clone(),
        population: format!("{:.0}", area.population.unwrap_or(0.0).max(0.0)),
        feedmap: Added {
            neighbourhood_feeds: own,
            community_feeds,
        },
    })
}

/// `GET /{force}/{neighbourhood}/boundary`: the outer ring of each of the
/// neighbourhood's polygons, one after another, each closed (holes are
/// left out: data.police.uk's one list of points cannot hold them).
pub fn boundary(region: &Region, force_id: &str, id: &str) -> Option<Vec<Coordinates>> {
    force(region, force_id)?;
    let at = neighbourhood_ref(region, id)?;
    Some(
        region.layers[at.layer].areas[at.area]
            .geometry
            .0
            .iter()
            .flat_map(|p| p.exterior().0.iter())
            .map(|c| Coordinates::of(c.x, c.y))
            .collect(),
    )
}

/// Why `q` of `locate-neighbourhood` was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LocateError {
    /// Not `lat,lng`.
    #[error("q={0:?} is not \"latitude,longitude\" in decimal degrees")]
    Form(String),
    /// Numbers out of range.
    #[error(transparent)]
    Point(#[from] feedmap_geography::lookup::PointError),
}

/// Parses `q` of `locate-neighbourhood`: `lat,lng`.
pub fn parse_q(q: &str) -> Result<feedmap_geography::lookup::LatLon, LocateError> {
    let (lat, lon) = q
        .split_once(',')
        .ok_or_else(|| LocateError::Form(q.to_string()))?;
    let num = |s: &str| {
        s.trim()
            .parse::<f64>()
            .map_err(|_| LocateError::Form(q.to_string()))
    };
    Ok(feedmap_geography::lookup::LatLon::new(
        num(lat)?,
        num(lon)?,
    )?)
}

/// `GET /locate-neighbourhood?q=lat,lng`: the force and the neighbourhood
/// containing the point (by the region's boundary rule; the first
/// neighbourhood layer that holds it).
pub fn locate(region: &Region, p: feedmap_geography::lookup::LatLon) -> Option<Located> {
    let f = region.force.as_deref()?;
    let mut found = Vec::new();
    region.layers.iter().enumerate().find_map(|(li, l)| {
        if l.role != Role::Neighbourhood {
            return None;
        }
        region.locate_in_layer(li, p, &mut found);
        found.first().map(|&a| Located {
            force: f.id.clone(),
            neighbourhood: l.areas[a].id.clone(),
        })
    })
}

/// A person of `GET /{force}/{neighbourhood}/people`: a contact planners
/// published for the neighbourhood. `bio` is HTML, as data.police.uk's.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Person {
    /// Their bio as HTML paragraphs (escaped from the planner's text).
    pub bio: Option<String>,
    /// How to reach them, in data.police.uk's keys.
    pub contact_details: feedmap_store::ContactWays,
    /// Name.
    pub name: String,
    /// Rank or role.
    pub rank: Option<String>,
}

/// A priority of `GET /{force}/{neighbourhood}/priorities`, in
/// data.police.uk's keys: texts as HTML, dates as `YYYY-MM-DDT00:00:00`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PriorityOut {
    /// What is being done, as HTML.
    pub action: Option<String>,
    /// When the issue was set.
    #[serde(rename = "issue-date")]
    pub issue_date: String,
    /// When the action was reported.
    #[serde(rename = "action-date")]
    pub action_date: Option<String>,
    /// The issue, as HTML.
    pub issue: String,
}

/// The page of neighbourhood `id` of force `force_id` in `view` (`None`
/// where data.police.uk answers 404; an empty page where nothing is
/// published).
fn page_of<'v>(
    view: &'v crate::served::View,
    force_id: &str,
    id: &str,
) -> Option<Option<&'v feedmap_store::Page>> {
    let region = view.region();
    force(region, force_id)?;
    let at = neighbourhood_ref(region, id)?;
    let layer = &region.layers[at.layer];
    Some(
        view.pages()
            .get(&layer.id, &layer.areas[at.area].id)
            .map(|p| &**p),
    )
}

/// `GET /{force}/{neighbourhood}/people`: its published contacts, in the
/// order planners gave them (`[]` when none are published).
pub fn people(view: &crate::served::View, force_id: &str, id: &str) -> Option<Vec<Person>> {
    let page = page_of(view, force_id, id)?;
    Some(
        page.map(|p| &p.people[..])
            .unwrap_or_default()
            .iter()
            .map(|c| Person {
                bio: c.bio.as_deref().map(crate::published::html_paragraphs),
                contact_details: c.contact_details.clone(),
                name: c.name.clone(),
                rank: c.rank.clone(),
            })
            .collect(),
    )
}

/// `GET /{force}/{neighbourhood}/priorities`: its priorities, in the
/// order planners gave them (`[]` when none are published).
pub fn priorities(
    view: &crate::served::View,
    force_id: &str,
    id: &str,
) -> Option<Vec<PriorityOut>> {
    let page = page_of(view, force_id, id)?;
    let midnight = |d: &str| format!("{d}T00:00:00");
    Some(
        page.map(|p| &p.priorities[..])
            .unwrap_or_default()
            .iter()
            .map(|p| PriorityOut {
                action: p.action.as_deref().map(crate::published::html_paragraphs),
                issue_date: midnight(&p.issue_date),
                action_date: p.action_date.as_deref().map(midnight),
                issue: crate::published::html_paragraphs(&p.issue),
            })
            .collect(),
    )
}
