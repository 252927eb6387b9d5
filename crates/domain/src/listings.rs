//! The neighbourhoods as data.police.uk lists them, read from files (no
//! network): what the public is told each neighbourhood's accounts are.
//!
//! The file is the JSON the data.police.uk API answers for a specific
//! neighbourhood (`/api/{force}/{neighbourhood}`), or an array of them:
//!
//! ```json
//! [{ "id": "NC01", "name": "Sale Central",
//!    "contact_details": { "twitter": "https://twitter.com/GMPSale",
//!                         "facebook": "https://www.facebook.com/GMPSale",
//!                         "email": "…", "telephone": "101" } }]
//! ```
//!
//! `id` is the neighbourhood id (the one the force's KML uses, which is
//! the neighbourhood layer's area id). Of `contact_details`, the social
//! platforms are kept: `twitter` (the platform word `x`), `facebook`,
//! `instagram`, `youtube`, `nextdoor` — each a URL or a handle.

use crate::activity::normalise_handle;
use feedmap_geography::validate::{Problem, ProblemKind};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// data.police.uk's contact-detail keys that are social accounts, with
/// feedmap's platform word for each.
pub const PLATFORM_KEYS: &[(&str, &str)] = &[
    ("twitter", "x"),
    ("x", "x"),
    ("facebook", "facebook"),
    ("instagram", "instagram"),
    ("youtube", "youtube"),
    ("nextdoor", "nextdoor"),
];

/// One neighbourhood's listing.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Listing {
    /// The neighbourhood id.
    pub id: String,
    /// Its name as listed.
    pub name: String,
    /// Platform word → the account listed (as given: URL or handle).
    pub accounts: BTreeMap<String, String>,
}

impl Listing {
    /// The listed account on `platform`, normalised for comparing.
    pub fn handle_on(&self, platform: &str) -> Option<String> {
        self.accounts.get(platform).map(|h| normalise_handle(h))
    }
}

/// Every listed neighbourhood, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listings {
    /// By neighbourhood id.
    pub by_id: BTreeMap<String, Listing>,
}

/// Reads a listings file; every unusable entry is a problem naming its
/// index and field.
pub fn load(file: &Path, problems: &mut Vec<Problem>) -> Listings {
    let at =
        |feature: Option<usize>, id: Option<&str>, kind: ProblemKind, detail: String| Problem {
            file: file.to_path_buf(),
            layer: "[listings]".into(),
            feature,
            row: None,
            id: id.map(str::to_string),
            kind,
            detail,
        };
    let value: serde_json::Value = match std::fs::read(file)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            problems.push(at(
                None,
                None,
                ProblemKind::UnreadableFile,
                format!("cannot read: {e}"),
            ));
            return Listings::default();
        }
    };
    let entries = match value {
        serde_json::Value::Array(a) => a,
        one @ serde_json::Value::Object(_) => vec![one],
        _ => {
            problems.push(at(
                None,
                None,
                ProblemKind::UnreadableFile,
                "expected a data.police.uk neighbourhood object or an array of them".into(),
            ));
            return Listings::default();
        }
    };
    let mut out = Listings::default();
    for (n, e) in entries.iter().enumerate() {
        let Some(id) = e
            .get("id")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
        else {
            problems.push(at(
                Some(n),
                None,
                ProblemKind::MissingId,
                "no \"id\" string".into(),
            ));
            continue;
        };
        let mut accounts = BTreeMap::new();
        match e.get("contact_details") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Object(c)) => {
                for (key, platform) in PLATFORM_KEYS {
                    match c.get(*key) {
                        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                            accounts.insert(platform.to_string(), s.trim().to_string());
                        }
                        None
                        | Some(serde_json::Value::Null)
                        | Some(serde_json::Value::String(_)) => {}
                        Some(_) => problems.push(at(
                            Some(n),
                            Some(id),
                            ProblemKind::WrongPropertyType,
                            format!("contact_details.{key} is not a string"),
                        )),
                    }
                }
            }
            Some(_) => problems.push(at(
                Some(n),
                Some(id),
                ProblemKind::WrongPropertyType,
                "contact_details is not an object".into(),
            )),
        }
        if out.by_id.contains_key(id) {
            problems.push(at(
                Some(n),
                Some(id),
                ProblemKind::DuplicateId,
                format!("neighbourhood {id:?} is listed twice"),
            ));
            continue;
        }
        out.by_id.insert(
            id.to_string(),
            Listing {
                id: id.to_string(),
                name: e
                    .get("name")
                    .and_then(|v| v.as_str())
                    .unwrap_or(id)
                    .to_string(),
                accounts,
            },
        );
    }
    out
}
