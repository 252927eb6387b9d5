//! Where a query is: coordinates, a postcode or free text in, a point out,
//! with how it was found (the feeds at that point are the domain's `query`).

use crate::gazetteer::{normalise_postcode, MatchKind, PostcodeEntry};
use crate::lookup::{LatLon, PointError};
use crate::region::Region;
use geo::InteriorPoint;
use serde::Serialize;

/// What the caller gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Coordinates.
    Point {
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
    },
    /// A postcode, in any spacing or case.
    Postcode(String),
    /// Free text: a place name, an address, or a postcode typed into a
    /// search box.
    Text(String),
}

impl Query {
    /// The query the command line's options give: a postcode, else a
    /// point, else free text; `None` when none is given.
    pub fn from_options(
        postcode: Option<String>,
        point: Option<(f64, f64)>,
        text: Option<String>,
    ) -> Option<Query> {
        match (postcode, point, text) {
            (Some(p), _, _) => Some(Query::Postcode(p)),
            (_, Some((lat, lon)), _) => Some(Query::Point { lat, lon }),
            (_, _, Some(q)) => Some(Query::Text(q)),
            _ => None,
        }
    }
}

/// How the point was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// Given coordinates.
    Coordinates,
    /// Postcode directory.
    Postcode,
    /// Area name.
    Place,
    /// Address list.
    Address,
}

impl Via {
    /// The lowercase word used in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Coordinates => "coordinates",
            Via::Postcode => "postcode",
            Via::Place => "place",
            Via::Address => "address",
        }
    }
}

/// Why a query found no point. Each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// Bad coordinates (400).
    #[error(transparent)]
    Point(#[from] PointError),
    /// Not a postcode at all (400).
    #[error("{0}")]
    InvalidPostcode(String),
    /// A well-formed postcode that the directory does not hold (404).
    #[error("postcode {0} is not in this region's postcode directory")]
    UnknownPostcode(String),
    /// The region has no postcode directory (404).
    #[error("this region has no postcode directory ([postcodes] in region.toml)")]
    NoPostcodes,
    /// Empty text (400).
    #[error("q is empty")]
    EmptyText,
    /// No place or address matches (404).
    #[error("no place or address matches {}", crate::validate::quoted(.0))]
    NoMatch(String),
}

impl QueryError {
    /// Whether this is the caller's malformed input (400) rather than a
    /// well-formed query with no answer (404).
    pub fn is_bad_request(&self) -> bool {
        matches!(
            self,
            QueryError::Point(_) | QueryError::InvalidPostcode(_) | QueryError::EmptyText
        )
    }
}

/// A ranked candidate for a text query.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Candidate {
    /// `place` or `address`.
    pub via: Via,
    /// Area or address text.
    pub name: String,
    /// Layer id (places).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Area id (places).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_id: Option<String>,
    /// `exact`, `fuzzy`, `prefix` (places) or `words` (addresses).
    #[serde(rename = "match")]
    pub match_kind: &'static str,
    /// 0–1.
    pub score: f64,
    /// A point inside the place, or the address's point.
    pub point: LatLon,
}

/// Where a query landed.
#[derive(Debug, Clone)]
pub struct Located {
    /// The point used.
    pub point: LatLon,
    /// How it was found.
    pub via: Via,
    /// The postcode entry, for postcode queries.
    pub postcode: Option<PostcodeEntry>,
    /// Candidates for text queries, best first (the first was used).
    pub candidates: Vec<Candidate>,
    /// A note for the caller (e.g. a terminated postcode).
    pub note: Option<String>,
}

/// How many text candidates to return.
pub const MAX_CANDIDATES: usize = 10;

impl Region {
    /// Finds the point a query refers to.
    pub fn locate(&self, query: &Query) -> Result<Located, QueryError> {
        match query {
            Query::Point { lat, lon } => Ok(Located {
                point: LatLon::new(*lat, *lon)?,
                via: Via::Coordinates,
                postcode: None,
                candidates: Vec::new(),
                note: None,
            }),
            Query::Postcode(text) => self.locate_postcode(text),
            Query::Text(text) => self.locate_text(text),
        }
    }

    fn locate_postcode(&self, text: &str) -> Result<Located, QueryError> {
        let canonical =
            normalise_postcode(text).map_err(|e| QueryError::InvalidPostcode(e.to_string()))?;
        let dir = self.postcodes.as_ref().ok_or(QueryError::NoPostcodes)?;
        let entry = dir
            .get(&canonical)
            .ok_or_else(|| QueryError::UnknownPostcode(canonical.clone()))?;
        let note = entry.terminated.as_ref().map(|t| {
            format!(
                "postcode {} was terminated ({t}); its last known location is used",
                entry.postcode
            )
        });
        Ok(Located {
            point: LatLon::new(entry.lat, entry.lon)?,
            via: Via::Postcode,
            postcode: Some(entry.clone()),
            candidates: Vec::new(),
            note,
        })
    }

    fn locate_text(&self, text: &str) -> Result<Located, QueryError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(QueryError::EmptyText);
        }
        // A postcode typed into a search box is a postcode query.
        if normalise_postcode(text).is_ok() && self.postcodes.is_some() {
            return self.locate_postcode(text);
        }
        let places = self.places.search(text, &self.layers, MAX_CANDIDATES);
        let mut candidates: Vec<Candidate> = places
            .iter()
            .filter_map(|m| {
                let layer = &self.layers[m.layer];
                let area = &layer.areas[m.area];
                let p = area.geometry.interior_point()?;
                Some(Candidate {
                    via: Via::Place,
                    name: area.name.clone(),
                    layer: Some(layer.id.clone()),
                    area_id: Some(area.id.clone()),
                    match_kind: match m.kind {
                        MatchKind::Exact => "exact",
                        MatchKind::Fuzzy => "fuzzy",
                        MatchKind::Prefix => "prefix",
                    },
                    score: (m.score * 1000.0).round() / 1000.0,
                    point: LatLon {
                        lat: p.y(),
                        lon: p.x(),
                    },
                })
            })
            .collect();
        let best_place = places.first().map(|m| m.kind);
        if let Some(addresses) = &self.addresses {
            let found: Vec<Candidate> = addresses
                .search(text, MAX_CANDIDATES)
                .into_iter()
                .map(|m| {
                    let a = &addresses.list[m.index];
                    Candidate {
                        via: Via::Address,
                        name: a.address.clone(),
                        layer: None,
                        area_id: None,
                        match_kind: "words",
                        score: (m.score * 1000.0).round() / 1000.0,
                        point: LatLon {
                            lat: a.lat,
                            lon: a.lon,
                        },
                    }
                })
                .collect();
            // An address wins over a (fuzzily) matching place name only when
            // every query word matched it and the query says more than the
            // place name does (a house number, a street); against a prefix
            // match, most of the words must match.
            let best_address = found.first().map(|c| c.score).unwrap_or(0.0);
            let words = |s: &str| crate::gazetteer::normalise_text(s).split(' ').count();
            let says_more = candidates
                .first()
                .is_none_or(|place| words(text) > words(&place.name));
            let address_first = match best_place {
                Some(MatchKind::Exact) => false,
                Some(MatchKind::Fuzzy) => best_address >= 1.0 && says_more,
                Some(MatchKind::Prefix) => best_address >= 0.5 && says_more,
                None => best_address >= 0.5,
            };
            if address_first {
                candidates.splice(0..0, found);
            } else {
                candidates.extend(found);
            }
        }
        candidates.truncate(MAX_CANDIDATES);
        let first = candidates
            .first()
            .ok_or_else(|| QueryError::NoMatch(text.to_string()))?;
        Ok(Located {
            point: first.point,
            via: first.via,
            postcode: None,
            candidates,
            note: None,
        })
    }
}
