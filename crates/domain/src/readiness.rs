//! What a region can do with the data it was given, and for each input it
//! lacks, what that costs and where a force gets it: the report `feedmap
//! init` prints, `/health` answers and the map shows. A region never
//! degrades silently: every missing input is named here.
//!
//! Computed from the loaded [`Source`] alone (no settlements are
//! discovered, no plan is made), so it is cheap enough for every
//! `/health`.

use crate::source::Source;
use feedmap_geography::manifest::Role;
use serde::Serialize;

/// One thing a region can do, or cannot for want of an input.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Item {
    /// A stable key, e.g. `postcode_lookup`.
    pub key: &'static str,
    /// What it is, in a planner's words.
    pub title: &'static str,
    /// Whether the region has what it needs.
    pub ready: bool,
    /// What it has (when ready) or lacks.
    pub detail: String,
    /// What its absence costs (absent when ready).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub costs: Option<&'static str>,
    /// Where a force gets the input (absent when ready).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get: Option<&'static str>,
}

impl Item {
    /// An item: ready with what it has (`Ok`), or not with what it lacks
    /// (`Err`), then its cost and where to get it.
    fn new(
        key: &'static str,
        title: &'static str,
        found: Result<String, String>,
        costs: &'static str,
        get: &'static str,
    ) -> Item {
        let ready = found.is_ok();
        Item {
            key,
            title,
            ready,
            detail: found.unwrap_or_else(|lack| lack),
            costs: (!ready).then_some(costs),
            get: (!ready).then_some(get),
        }
    }
}

/// Everything a region can and cannot do.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Readiness {
    /// Items ready.
    pub ready: usize,
    /// Items in all.
    pub of: usize,
    /// Each item, in the order a planner meets them.
    pub items: Vec<Item>,
}

impl Readiness {
    /// The items not ready.
    pub fn missing(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| !i.ready)
    }
}

impl std::fmt::Display for Readiness {
    /// The report as a terminal shows it: one line an item, what is
    /// missing followed by its cost and source.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Ready: {} of {}", self.ready, self.of)?;
        for i in &self.items {
            let mark = if i.ready { "✓" } else { "✗" };
            writeln!(f, "  {mark} {}: {}", i.title, i.detail)?;
            if let Some(c) = i.costs {
                writeln!(f, "      without it: {c}")?;
            }
            if let Some(g) = i.get {
                writeln!(f, "      get it: {g}")?;
            }
        }
        Ok(())
    }
}

/// Where to get each input (the publishers a force's analyst uses; all
/// under the Open Government Licence).
pub mod sources {
    /// Police neighbourhood boundaries.
    pub const NEIGHBOURHOODS: &str = "data.police.uk (Downloads: neighbourhood boundaries, one KML folder a force), or your force's GIS team";
    /// Ward and other community boundaries.
    pub const COMMUNITIES: &str = "ward boundaries from the ONS Open Geography Portal (geoportal.statistics.gov.uk), or parish and locality boundaries from your councils";
    /// The ONS Postcode Directory.
    pub const POSTCODES: &str = "the ONS Postcode Directory (ONSPD) from the ONS Open Geography Portal; run `feedmap init` again into a new folder, adding `--postcodes ONSPD.csv` (it keeps only your force's postcodes)";
    /// Census population.
    pub const POPULATION: &str = "Census 2021 usual residents (table TS001) for output areas or LSOAs from Nomis (nomisweb.co.uk), with those areas' boundaries from the ONS Open Geography Portal";
    /// Settlements as published.
    pub const BUILT_UP: &str = "ONS/OS Built Up Areas 2022 (OGL) from the ONS Open Geography Portal, loaded with `feedmap init --built-up FILE` (settlements as published, preferred over finding them); or, to find them, Census 2021 usual residents (table TS001) for output areas from Nomis (nomisweb.co.uk), or the ONS Postcode Directory";
    /// The force's accounts.
    pub const FEEDS: &str = "your force's own list of accounts, as CSV: feed_id, platform, handle, url, layer, area_id, name, status";
}

/// What the region being served can do (its feeds as the store has them).
pub fn of_served(served: &crate::served::Served) -> Readiness {
    assess(served.source(), served.feeds())
}

/// What `source` can do, on its own feed list.
pub fn of(source: &Source) -> Readiness {
    assess(source, &source.feeds)
}

/// What `source` can do with the feeds `feeds` (a region has a feed list
/// when some feed is known, as lookups judge it).
fn assess(source: &Source, registry: &crate::feeds::FeedRegistry) -> Readiness {
    let region = &source.region;
    let layers = &region.layers;
    let count = |role: Role| -> (usize, usize) {
        layers
            .iter()
            .filter(|l| l.role == role)
            .fold((0, 0), |(n, a), l| (n + 1, a + l.areas.len()))
    };
    let (hl, ha) = count(Role::Neighbourhood);
    let (cl, ca) = count(Role::Community);
    let postcodes = region.postcodes.as_ref().map_or(0, |p| p.len());
    let active = registry
        .feeds
        .iter()
        .filter(|f| f.fields.status == crate::feeds::FeedStatus::Active)
        .count();
    let when =
        |ok: bool, has: String, lacks: &str| if ok { Ok(has) } else { Err(lacks.to_string()) };
    let items = vec![
        Item::new(
            "neighbourhoods",
            "Lookups by coordinates",
            when(ha > 0, format!("{ha} neighbourhoods in {hl} layer{}", plural(hl)), "no neighbourhood layer"),
            "nothing can be looked up or planned",
            sources::NEIGHBOURHOODS,
        ),
        Item::new(
            "communities",
            "Communities to plan",
            when(ca > 0, format!("{ca} communities in {cl} layer{}", plural(cl)), "no community layer"),
            "the plan has nothing inside a neighbourhood to suggest, and lookups answer with the neighbourhood only",
            sources::COMMUNITIES,
        ),
        Item::new(
            "postcode_lookup",
            "Lookups by postcode",
            when(postcodes > 0, format!("{postcodes} postcodes"), "no postcode directory ([postcodes] in region.toml)"),
            "integrators can look up coordinates and place names only; a postcode gets a clear 'no postcode directory' answer",
            sources::POSTCODES,
        ),
        Item::new(
            "population",
            "Sizes of communities",
            population(source).ok_or_else(|| "no population: no layer with residents, no population points".to_string()),
            "the plan cannot size communities: no audience factor, no residents served, and a hamlet counts as much as a town",
            sources::POPULATION,
        ),
        Item::new(
            "settlements",
            "Towns and villages found from where people live",
            residential(source).ok_or_else(|| "nothing to find them in: no built-up areas layer, postcodes, addresses, population points or census areas with residents".to_string()),
            "the plan cannot offer a village or town apart from the communities it lies in (a town cut by ward lines comes out in pieces)",
            sources::BUILT_UP,
        ),
        Item::new(
            "feed_list",
            "Feeds in lookups and the plan",
            when(!registry.feeds.is_empty(), format!("{} feeds, {active} active", registry.feeds.len()), "no feed list ([feeds] in region.toml)"),
            "lookups answer with areas but no feeds (saying feed_list: false), and the plan cannot tell which neighbourhoods already have a feed",
            sources::FEEDS,
        ),
    ];
    let ready = items.iter().filter(|i| i.ready).count();
    Readiness {
        ready,
        of: items.len(),
        items,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Where residents come from, in a sentence; `None` when nowhere.
fn population(source: &Source) -> Option<String> {
    let layers = &source.region.layers;
    let with = |role: Role| {
        layers.iter().filter(|l| l.role == role).find_map(|l| {
            let known: Vec<f64> = l.areas.iter().filter_map(|a| a.population).collect();
            (!known.is_empty()).then(|| {
                format!(
                    "{} residents in {} of the {} areas of layer {:?}",
                    crate::plan::explain::thousands(known.iter().sum()),
                    known.len(),
                    l.areas.len(),
                    l.id
                )
            })
        })
    };
    with(Role::Population)
        .or_else(|| with(Role::Community))
        .or_else(|| {
            source
                .population_points()
                .map(|p| format!("{} population points", p.len()))
        })
}

/// What settlements would be found in, in a sentence; `None` when nothing.
fn residential(source: &Source) -> Option<String> {
    let region = &source.region;
    if let Some(l) = crate::source::built_up(&region.layers) {
        return Some(format!(
            "the {} places of the built-up areas layer {:?}, as published",
            l.areas.len(),
            l.id
        ));
    }
    if let Some(p) = region.postcodes.as_ref().filter(|p| !p.is_empty()) {
        return Some(format!("from {} postcode centroids", p.len()));
    }
    if region.addresses.is_some() {
        return Some("from the address list".into());
    }
    if let Some(p) = source.population_points() {
        return Some(format!("from {} population points", p.len()));
    }
    region
        .layers
        .iter()
        .filter(|l| l.role == Role::Population)
        .find(|l| l.areas.iter().any(|a| a.population.is_some()))
        .map(|l| {
            format!(
                "from the {} census areas of layer {:?} (dense ones chained, sparse ones breaking the chain); postcodes would place them more finely",
                l.areas.len(),
                l.id
            )
        })
}
