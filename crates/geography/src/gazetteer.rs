//! Text → point: postcodes, place names and addresses.
//!
//! Integrators get free text from people ("m154ab", "Old Traford", "12 High
//! St"), so every search normalises first and tolerates the usual mistakes,
//! and every answer says how the point was found.

use crate::area::AreaRef;
use crate::boundary::Layer;
use crate::manifest::{AddressesSpec, PostcodesSpec};
use crate::table::{coordinate, Table};
use crate::validate::{Problem, ProblemKind};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Why a postcode string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostcodeError {
    /// Not in the UK postcode format.
    #[error("{} is not a UK postcode (expected e.g. \"M15 4AB\" or \"SW1A 1AA\")", crate::validate::quoted(.0))]
    Format(String),
}

/// Normalises a postcode (case, missing or extra spaces) to its canonical
/// form, `OUTWARD INWARD` in capitals, checking the UK format: outward code
/// `A9`, `A99`, `AA9`, `AA99`, `A9A` or `AA9A`, inward code `9AA`.
pub fn normalise_postcode(input: &str) -> Result<String, PostcodeError> {
    let compact: Vec<u8> = input
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| b.to_ascii_uppercase())
        .collect();
    let bad = || PostcodeError::Format(input.trim().to_string());
    if compact.len() < 5 || compact.len() > 7 || !compact.is_ascii() {
        return Err(bad());
    }
    let (out, inw) = compact.split_at(compact.len() - 3);
    let a = |c: u8| c.is_ascii_uppercase();
    let d = |c: u8| c.is_ascii_digit();
    let outward_ok = match *out {
        [x, y] => a(x) && d(y),
        [x, y, z] => a(x) && ((d(y) && (d(z) || a(z))) || (a(y) && d(z))),
        [w, x, y, z] => a(w) && a(x) && d(y) && (d(z) || a(z)),
        _ => false,
    };
    let inward_ok = d(inw[0]) && a(inw[1]) && a(inw[2]);
    if !(outward_ok && inward_ok) {
        return Err(bad());
    }
    Ok(format!(
        "{} {}",
        String::from_utf8_lossy(out),
        String::from_utf8_lossy(inw)
    ))
}

/// One postcode of the directory.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PostcodeEntry {
    /// Canonical postcode.
    pub postcode: String,
    /// Centroid latitude.
    pub lat: f64,
    /// Centroid longitude.
    pub lon: f64,
    /// When the directory marks it terminated: the termination value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminated: Option<String>,
    /// The local name of the place around it (`[postcodes].name_column`),
    /// for naming settlements; not part of answers.
    #[serde(skip)]
    #[schemars(skip)]
    pub local_name: Option<Arc<str>>,
}

/// The postcode directory: canonical postcode → centroid.
#[derive(Debug, Default)]
pub struct Postcodes {
    entries: HashMap<String, PostcodeEntry>,
    /// Rows without coordinates (ONSPD marks them with latitude 99.999999),
    /// skipped on load.
    pub skipped_without_coordinates: usize,
    /// `[postcodes].near_boundary_m`: how near another community or
    /// neighbourhood a postcode's centroid must be for answers to say so
    /// (0: never).
    pub near_boundary_m: f64,
    /// `[postcodes].name_column`: the column local names were read from.
    pub name_column: Option<String>,
}

impl Postcodes {
    /// Loads an ONSPD-style CSV. Invalid postcodes, unusable coordinates and
    /// duplicates are problems naming the line; rows without coordinates
    /// (ONSPD's 99.999999 latitude, or empty cells) are skipped and counted.
    pub fn load(file: &Path, spec: &PostcodesSpec, problems: &mut Vec<Problem>) -> Postcodes {
        let mut out = Postcodes {
            near_boundary_m: spec.near_boundary_m,
            name_column: spec.name_column.clone(),
            ..Postcodes::default()
        };
        let Some(table) = Table::open(file, "[postcodes]", problems) else {
            return out;
        };
        let before = problems.len();
        let pc = table.column(&spec.postcode_column, problems);
        let lat = table.column(&spec.lat_column, problems);
        let lon = table.column(&spec.lon_column, problems);
        let term = match &spec.terminated_column {
            Some(name) => table.column(name, problems),
            None => table.find("doterm"),
        };
        let local = spec
            .name_column
            .as_ref()
            .and_then(|name| table.column(name, problems));
        // One shared string per distinct local name.
        let mut local_names: HashMap<String, Arc<str>> = HashMap::new();
        let (Some(pc), Some(lat), Some(lon)) = (pc, lat, lon) else {
            return out;
        };
        if problems.len() > before {
            return out;
        }
        table.rows(problems, |table, line, record, problems| {
            let raw = record.get(pc).unwrap_or("");
            let postcode = match normalise_postcode(raw) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(table.problem(
                        line,
                        Some(raw),
                        ProblemKind::InvalidPostcode,
                        e.to_string(),
                    ));
                    return;
                }
            };
            let (lat_s, lon_s) = (record.get(lat).unwrap_or(""), record.get(lon).unwrap_or(""));
            if lat_s.trim().is_empty() || lon_s.trim().is_empty() || lat_s.trim() == "99.999999" {
                out.skipped_without_coordinates += 1;
                return;
            }
            let point = coordinate(lat_s, "latitude", 90.0)
                .and_then(|la| Ok((la, coordinate(lon_s, "longitude", 180.0)?)));
            let (la, lo) = match point {
                Ok(p) => p,
                Err(why) => {
                    problems.push(table.problem(
                        line,
                        Some(&postcode),
                        ProblemKind::CoordinateOutOfRange,
                        why,
                    ));
                    return;
                }
            };
            let terminated = term
                .and_then(|t| record.get(t))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            let local_name = local
                .and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| {
                    local_names
                        .entry(n.to_string())
                        .or_insert_with(|| Arc::from(n))
                        .clone()
                });
            let key = postcode.replace(' ', "");
            if out.entries.contains_key(&key) {
                problems.push(table.problem(
                    line,
                    Some(&postcode),
                    ProblemKind::DuplicateId,
                    "postcode listed twice",
                ));
                return;
            }
            out.entries.insert(
                key,
                PostcodeEntry {
                    postcode,
                    lat: la,
                    lon: lo,
                    terminated,
                    local_name,
                },
            );
        });
        out
    }

    /// Looks up a normalised postcode (as returned by [`normalise_postcode`]).
    pub fn get(&self, canonical: &str) -> Option<&PostcodeEntry> {
        self.entries.get(&canonical.replace(' ', ""))
    }

    /// Every postcode, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &PostcodeEntry> {
        self.entries.values()
    }

    /// Number of postcodes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the directory is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The live postcode that sorts first (an example for documentation),
    /// if any.
    pub fn first(&self) -> Option<&PostcodeEntry> {
        self.entries
            .values()
            .filter(|e| e.terminated.is_none())
            .min_by(|a, b| a.postcode.cmp(&b.postcode))
    }
}

/// Words that start many place names without naming a place.
const GENERIC_FIRST_WORDS: &[&str] = &[
    "north", "south", "east", "west", "central", "upper", "lower", "new", "old", "great", "little",
    "the", "st", "saint",
];

/// Words a shared name may not end on (`Ashton upon …`).
const CONNECTORS: &[&str] = &["and", "upon", "on", "in", "under", "the", "with"];

/// The place name several areas' names share, weighted by `weight` (e.g.
/// residents): the leading words common to names that hold at least half
/// the weight, when at least two different names share them and they are
/// not a compass or generic word. `Marlow West & Fenside North`,
/// `Marlow South West` and `Marlow Central` share `Marlow`; `Sale Moor`
/// and `Sale East` share `Sale`; `North Marlow` and `North Fenside` share
/// nothing.
pub fn shared_place_name<'a>(names: impl IntoIterator<Item = (&'a str, f64)>) -> Option<String> {
    let names: Vec<(Vec<&str>, f64)> = names
        .into_iter()
        .map(|(n, w)| (n.split_whitespace().collect::<Vec<_>>(), w.max(0.0)))
        .filter(|(words, _)| !words.is_empty())
        .collect();
    let total: f64 = names.iter().map(|(_, w)| w).sum();
    let key = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    // The first word holding the most weight.
    let mut by_first: Vec<(String, f64, Vec<&Vec<&str>>)> = Vec::new();
    for (words, w) in &names {
        let k = key(words[0]);
        match by_first.iter_mut().find(|(f, _, _)| *f == k) {
            Some((_, sum, list)) => {
                *sum += w;
                list.push(words);
            }
            None => by_first.push((k, *w, vec![words])),
        }
    }
    by_first.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let (first, weight, group) = by_first.into_iter().next()?;
    let distinct = {
        let mut d: Vec<&Vec<&str>> = group.clone();
        d.sort();
        d.dedup();
        d.len()
    };
    if first.is_empty()
        || GENERIC_FIRST_WORDS.contains(&first.as_str())
        || distinct < 2
        || total <= 0.0
        || 2.0 * weight < total
    {
        return None;
    }
    // The longest run of leading words they all share.
    let mut len = 1;
    while group
        .iter()
        .all(|w| w.len() > len && key(w[len]) == key(group[0][len]))
    {
        len += 1;
    }
    while len > 1 && {
        let k = key(group[0][len - 1]);
        k.is_empty() || CONNECTORS.contains(&k.as_str())
    } {
        len -= 1;
    }
    let shared = group[0][..len].join(" ");
    Some(shared.trim_end_matches([',', '&', '-']).trim().to_string())
}

/// Normalises free text for matching: lowercase, `&` as "and", every other
/// non-alphanumeric character a space, runs of spaces collapsed.
pub fn normalise_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch == '&' {
            out.push_str(" and ");
        } else if ch == '\'' || ch == '’' {
            // "St Aldric's" matches "st aldrics".
        } else if ch.is_alphanumeric() {
            out.extend(ch.to_lowercase());
        } else {
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How a candidate matched a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// The whole normalised text is equal.
    Exact,
    /// Equal up to a few typing mistakes (edit distance).
    Fuzzy,
    /// The query begins the name ("Sale" for "Sale Moor").
    Prefix,
}

/// A place-name candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaceMatch {
    /// Layer index.
    pub layer: usize,
    /// Area index in the layer.
    pub area: usize,
    /// How it matched.
    pub kind: MatchKind,
    /// Score 0–1 (1 for exact).
    pub score: f64,
}

/// Index of every area name of every layer.
#[derive(Debug, Default)]
pub struct Places {
    names: Vec<String>,
    areas: Vec<Vec<AreaRef>>,
    by_name: HashMap<String, usize>,
}

/// Largest number of edits accepted for a query of `len` characters: none
/// for very short text (too many accidental matches), then one per five.
fn max_edits(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=9 => 1,
        10..=14 => 2,
        _ => 3,
    }
}

impl Places {
    /// Indexes the names of all areas of the given layers.
    pub fn build(layers: &[Layer]) -> Places {
        let mut p = Places::default();
        for (li, layer) in layers.iter().enumerate() {
            for (ai, area) in layer.areas.iter().enumerate() {
                let key = normalise_text(&area.name);
                if key.is_empty() {
                    continue;
                }
                let slot = *p.by_name.entry(key.clone()).or_insert_with(|| {
                    p.names.push(key);
                    p.areas.push(Vec::new());
                    p.names.len() - 1
                });
                p.areas[slot].push(AreaRef::new(li, ai));
            }
        }
        p
    }

    /// Candidates for a query, best first: exact matches, then fuzzy ones by
    /// edit distance, then prefix matches; ties go to community layers, then
    /// neighbourhood layers, then smaller areas, then ids (deterministic).
    pub fn search(&self, query: &str, layers: &[Layer], limit: usize) -> Vec<PlaceMatch> {
        let q = normalise_text(query);
        if q.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<(usize, MatchKind, f64)> = Vec::new();
        if let Some(&slot) = self.by_name.get(&q) {
            found.push((slot, MatchKind::Exact, 1.0));
        } else {
            let budget = max_edits(q.chars().count());
            let qlen = q.chars().count();
            for (slot, name) in self.names.iter().enumerate() {
                let nlen = name.chars().count();
                if budget > 0 && nlen.abs_diff(qlen) <= budget {
                    let d = strsim::damerau_levenshtein(&q, name);
                    if d <= budget {
                        found.push((
                            slot,
                            MatchKind::Fuzzy,
                            1.0 - d as f64 / qlen.max(nlen) as f64,
                        ));
                        continue;
                    }
                }
                if nlen > qlen && name.starts_with(&q) && name.as_bytes()[q.len()] == b' ' {
                    found.push((slot, MatchKind::Prefix, 0.5 * qlen as f64 / nlen as f64));
                }
            }
        }
        let role_rank = |l: usize| match layers[l].role {
            crate::Role::Community => 0,
            crate::Role::Neighbourhood => 1,
            crate::Role::Context | crate::Role::Population | crate::Role::BuiltUp => 2,
        };
        let mut out: Vec<PlaceMatch> = found
            .into_iter()
            .flat_map(|(slot, kind, score)| {
                self.areas[slot].iter().map(move |&at| PlaceMatch {
                    layer: at.layer,
                    area: at.area,
                    kind,
                    score,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            a.kind
                .cmp(&b.kind)
                .then(b.score.total_cmp(&a.score))
                .then(role_rank(a.layer).cmp(&role_rank(b.layer)))
                .then(
                    layers[a.layer].areas[a.area]
                        .area_m2
                        .total_cmp(&layers[b.layer].areas[b.area].area_m2),
                )
                .then(
                    layers[a.layer].areas[a.area]
                        .id
                        .cmp(&layers[b.layer].areas[b.area].id),
                )
        });
        out.truncate(limit);
        out
    }
}

/// One address of the address list.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Address {
    /// The address as given.
    pub address: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// An address candidate with its score (share of query words matched).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AddressMatch {
    /// Index into the address list.
    pub index: usize,
    /// Share of query words found (exactly or within one edit), 0–1.
    pub score: f64,
}

/// The address list with an inverted index of its words.
#[derive(Debug, Default)]
pub struct Addresses {
    /// Every address.
    pub list: Vec<Address>,
    postings: HashMap<String, Vec<u32>>,
}

impl Addresses {
    /// Loads `address, lat, lon` rows (column names from the manifest).
    pub fn load(file: &Path, spec: &AddressesSpec, problems: &mut Vec<Problem>) -> Addresses {
        let mut out = Addresses::default();
        let Some(table) = Table::open(file, "[addresses]", problems) else {
            return out;
        };
        let before = problems.len();
        let a = table.column(&spec.address_column, problems);
        let la = table.column(&spec.lat_column, problems);
        let lo = table.column(&spec.lon_column, problems);
        let (Some(a), Some(la), Some(lo)) = (a, la, lo) else {
            return out;
        };
        if problems.len() > before {
            return out;
        }
        table.rows(problems, |table, line, rec, problems| {
            let address = rec.get(a).unwrap_or("").trim().to_string();
            let point = coordinate(rec.get(la).unwrap_or(""), "latitude", 90.0).and_then(|lat| {
                Ok((
                    lat,
                    coordinate(rec.get(lo).unwrap_or(""), "longitude", 180.0)?,
                ))
            });
            match point {
                Ok((lat, lon)) if !address.is_empty() => {
                    out.list.push(Address { address, lat, lon })
                }
                Ok(_) => problems.push(table.problem(
                    line,
                    None,
                    ProblemKind::MissingName,
                    "empty address",
                )),
                Err(why) => problems.push(table.problem(
                    line,
                    Some(&address),
                    ProblemKind::CoordinateOutOfRange,
                    why,
                )),
            }
        });
        for (i, addr) in out.list.iter().enumerate() {
            let mut words: Vec<String> = normalise_text(&addr.address)
                .split(' ')
                .map(str::to_string)
                .collect();
            words.sort();
            words.dedup();
            for w in words {
                out.postings.entry(w).or_default().push(i as u32);
            }
        }
        out
    }

    /// Addresses ranked by the share of query words they contain (a word
    /// matches exactly or, for words of four or more letters, within one
    /// edit), then by shorter address (more specific), then list order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<AddressMatch> {
        let words: Vec<String> = normalise_text(query)
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        if words.is_empty() || self.list.is_empty() {
            return Vec::new();
        }
        let mut hits: HashMap<u32, usize> = HashMap::new();
        for w in &words {
            let mut matched: Vec<u32> = self.postings.get(w).cloned().unwrap_or_default();
            if matched.is_empty() && w.chars().count() >= 4 {
                for (vocab, ids) in &self.postings {
                    if vocab.len().abs_diff(w.len()) <= 1
                        && strsim::damerau_levenshtein(w, vocab) <= 1
                    {
                        matched.extend(ids);
                    }
                }
                matched.sort_unstable();
                matched.dedup();
            }
            for id in matched {
                *hits.entry(id).or_default() += 1;
            }
        }
        let mut out: Vec<AddressMatch> = hits
            .into_iter()
            .map(|(i, n)| AddressMatch {
                index: i as usize,
                score: n as f64 / words.len() as f64,
            })
            .collect();
        out.sort_by(|x, y| {
            y.score
                .total_cmp(&x.score)
                .then(
                    self.list[x.index]
                        .address
                        .len()
                        .cmp(&self.list[y.index].address.len()),
                )
                .then(x.index.cmp(&y.index))
        });
        out.truncate(limit);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_normalise_and_validate() {
        for (input, want) in [
            ("m154ab", "M15 4AB"),
            (" M15  4AB ", "M15 4AB"),
            ("sw1a1aa", "SW1A 1AA"),
            ("W1A 0AX", "W1A 0AX"),
            ("M1 1AE", "M1 1AE"),
            ("B33 8TH", "B33 8TH"),
            ("cr26xh", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
        ] {
            assert_eq!(normalise_postcode(input).as_deref(), Ok(want), "{input}");
        }
        for bad in [
            "",
            "M15",
            "hello",
            "M15 4A",
            "12 3AB",
            "M15 ABB",
            "MMM1 1AA",
            "M15 4AB X",
        ] {
            assert!(normalise_postcode(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn text_normalises_case_punctuation_and_ampersands() {
        assert_eq!(
            normalise_text("Gorse Hill & Cornbrook"),
            "gorse hill and cornbrook"
        );
        assert_eq!(normalise_text("  St Aldric's,  "), "st aldrics");
        assert_eq!(normalise_text("Bucklow-St Martins"), "bucklow st martins");
    }

    #[test]
    fn edit_budget_grows_with_length() {
        assert_eq!(max_edits(3), 0);
        assert_eq!(max_edits(11), 2);
    }
}
