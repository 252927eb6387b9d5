//! Census tables as ONS and Nomis publish them: residents per area, read
//! from a CSV that is either *wide* (one row per area, the count in a
//! column) or *long* (one row per area and category, e.g. six age groups;
//! the rows of an area are added up, or one category is taken).
//!
//! Columns are found by the names the manifest gives, else by the
//! spellings ONS and Nomis use (`area_code`, `geography code`,
//! `lsoa21cd`, `Output Areas Code`, …; `population`, `Observation`,
//! `OBS_VALUE`, `usual_residents`, …). A table read as wide whose area ids
//! repeat gets one diagnosis naming its likely shape, the column that
//! varies within an area and the setting that fixes it, not a problem per
//! row. Counts are people (any number zero or more).

use crate::manifest::LayerSpec;
pub use crate::manifest::TableShape;
use crate::table::Table;
use crate::validate::{quoted, Problem, ProblemKind};
use csv::StringRecord;
use std::collections::HashMap;
use std::path::Path;

/// The manifest table name problems carry.
const TABLE: &str = "population_file";

/// Distinct values in the order first met (at most 50 are kept).
#[derive(Debug, Default)]
struct Values(Vec<String>);

impl Values {
    fn add(&mut self, v: &str) {
        let v = v.trim();
        if self.0.len() < 50 && !self.0.iter().any(|k| k == v) {
            self.0.push(v.to_string());
        }
    }

    fn iter(&self) -> impl Iterator<Item = &String> {
        self.0.iter()
    }
}

/// What to read from a census table: the manifest's `population_*` keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CensusSpec {
    /// The layer the table gives residents to (for problems and advice).
    pub layer: String,
    /// The column with the area id (`None`: found by its spelling).
    pub id_column: Option<String>,
    /// The column with the count (`None`: found by its spelling).
    pub count_column: Option<String>,
    /// The layout.
    pub shape: TableShape,
    /// For a long table, the column holding the category.
    pub category_column: Option<String>,
    /// For a long table, the one category to take (`None`: add up every
    /// row of an area).
    pub category: Option<String>,
}

impl CensusSpec {
    /// The census table settings of a manifest layer.
    pub fn of(layer: &LayerSpec) -> CensusSpec {
        CensusSpec {
            layer: layer.id.clone(),
            id_column: layer.population_id_column.clone(),
            count_column: layer.population_column.clone(),
            // Naming a category implies a long table.
            shape: if layer.population_category.is_some() {
                TableShape::Long
            } else {
                layer.population_table.unwrap_or_default()
            },
            category_column: layer.population_category_column.clone(),
            category: layer.population_category.clone(),
        }
    }
}

/// Area-id headers ONS and Nomis use, normalised (see [`norm`]).
const ID_HEADERS: &[&str] = &[
    "area code",
    "geography code",
    "code",
    "areacode",
    "mnemonic",
];

/// Count headers ONS and Nomis use, normalised.
const COUNT_HEADERS: &[&str] = &[
    "population",
    "usual residents",
    "observation",
    "obs value",
    "value",
    "count",
    "residents",
    "all usual residents",
    "total",
];

/// A header compared loosely: trimmed, lowercase, `_` and `-` as spaces.
fn norm(h: &str) -> String {
    h.trim()
        .to_lowercase()
        .replace(['_', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `v` looks like an ONS (GSS) area code: a letter and 8 digits,
/// e.g. `E01006074`.
pub fn is_gss_code(v: &str) -> bool {
    let v = v.trim().as_bytes();
    v.len() == 9 && v[0].is_ascii_uppercase() && v[1..].iter().all(u8::is_ascii_digit)
}

/// The header and the first data rows of a CSV (for finding columns).
fn sample(file: &Path) -> Option<(StringRecord, Vec<StringRecord>)> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(file)
        .ok()?;
    let headers = r.headers().ok()?.clone();
    let rows = r.records().take(20).filter_map(Result::ok).collect();
    Some((headers, rows))
}

/// Finds the area-id column: a known spelling, else a header ending in
/// `code` or `cd` whose values are ONS codes, else the first column whose
/// values are.
fn find_id(headers: &StringRecord, rows: &[StringRecord]) -> Option<usize> {
    let codes =
        |i: usize| !rows.is_empty() && rows.iter().all(|r| is_gss_code(r.get(i).unwrap_or("")));
    let names: Vec<String> = headers.iter().map(norm).collect();
    names
        .iter()
        .position(|n| ID_HEADERS.contains(&n.as_str()))
        .or_else(|| {
            (0..names.len())
                .find(|&i| (names[i].ends_with("code") || names[i].ends_with("cd")) && codes(i))
        })
        .or_else(|| (0..names.len()).find(|&i| codes(i)))
}

/// Finds the count column: a known spelling (the first in
/// [`COUNT_HEADERS`]' order), else a Nomis wide header ending in
/// `Total; measures: Value`.
fn find_count(headers: &StringRecord) -> Option<usize> {
    let names: Vec<String> = headers.iter().map(norm).collect();
    COUNT_HEADERS
        .iter()
        .find_map(|want| names.iter().position(|n| n == want))
        .or_else(|| {
            let totals: Vec<usize> = (0..names.len())
                .filter(|&i| names[i].contains("total") && names[i].ends_with("value"))
                .collect();
            (totals.len() == 1).then(|| totals[0])
        })
}

/// A column's position, by the name given or found by its spelling; a
/// `missing_column` problem naming the header and the key to set when
/// neither works.
fn column(
    table: &Table,
    given: Option<&str>,
    found: Option<usize>,
    what: &str,
    key: &str,
    problems: &mut Vec<Problem>,
) -> Option<usize> {
    if let Some(name) = given {
        return table.column(name, problems);
    }
    if found.is_none() {
        problems.push(table.problem(
            1,
            None,
            ProblemKind::MissingColumn,
            format!(
                "no column recognisable as the {what}; the header has: {}. Name it with {key} = \"…\" on the layer",
                table.header_list()
            ),
        ));
    }
    found
}

/// The column of `file` holding the area id under `spec`: the one it
/// names, or the one found by its spelling or its ONS codes.
pub fn id_column(file: &Path, spec: &CensusSpec) -> Option<usize> {
    let (headers, rows) = sample(file)?;
    match &spec.id_column {
        Some(c) => headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(c.trim())),
        None => find_id(&headers, &rows),
    }
}

/// Reads a census table: residents by area id. Problems name the file and
/// line; repeated ids get one diagnosis (see the module doc).
pub fn read(file: &Path, spec: &CensusSpec, problems: &mut Vec<Problem>) -> HashMap<String, f64> {
    let first_problem = problems.len();
    let out = read_table(file, spec, problems);
    for p in &mut problems[first_problem..] {
        p.layer = spec.layer.clone();
    }
    out
}

/// [`read`], its problems carrying the table's name.
fn read_table(file: &Path, spec: &CensusSpec, problems: &mut Vec<Problem>) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    let Some(table) = Table::open(file, TABLE, problems) else {
        return out;
    };
    let (headers, rows) = sample(file).unwrap_or_default();
    let before = problems.len();
    let id = column(
        &table,
        spec.id_column.as_deref(),
        find_id(&headers, &rows),
        "area id (ONS codes such as E01006074)",
        "population_id_column",
        problems,
    );
    let count = column(
        &table,
        spec.count_column.as_deref(),
        find_count(&headers),
        "count of residents",
        "population_column",
        problems,
    );
    let category = spec
        .category_column
        .as_deref()
        .map(|c| table.column(c, problems));
    let (Some(id), Some(count)) = (id, count) else {
        return out;
    };
    if problems.len() > before {
        return out;
    }
    let category = category.flatten();
    let count_name = table.header(count).to_string();
    let id_name = table.header(id).to_string();
    let category_name = category.map(|c| table.header(c).to_string());
    let at_header = |kind, detail| Problem::at_row(file, TABLE, 1, None, kind, detail);
    let wanted = spec.category.as_deref().map(str::trim);
    let mut repeats: HashMap<String, usize> = HashMap::new();
    let mut categories_seen = Values::default();
    let mut kept_rows = 0usize;
    table.rows(problems, |table, line, record, problems| {
        let key = record.get(id).unwrap_or("").trim();
        if let (Some(c), Some(w)) = (category, wanted) {
            let value = record.get(c).unwrap_or("").trim();
            if value != w {
                categories_seen.add(value);
                return;
            }
        }
        kept_rows += 1;
        let cell = record.get(count).unwrap_or("").trim();
        let v = match cell.replace(',', "").parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => v,
            _ => {
                problems.push(table.problem(
                    line,
                    Some(key),
                    ProblemKind::InvalidPopulation,
                    format!("{count_name} {} is not a number zero or more", quoted(cell)),
                ));
                return;
            }
        };
        let sum = spec.shape == TableShape::Long && wanted.is_none();
        match out.get_mut(key) {
            Some(total) if sum => *total += v,
            Some(_) => *repeats.entry(key.to_string()).or_insert(1) += 1,
            None => {
                out.insert(key.to_string(), v);
            }
        }
    });
    if let (Some(w), 0) = (wanted, kept_rows) {
        problems.push(at_header(
            ProblemKind::BadValue,
            format!(
                "no row has {} = {}; the values are: {}",
                category_name.as_deref().unwrap_or(""),
                quoted(w),
                list(&categories_seen)
            ),
        ));
        return out;
    }
    if !repeats.is_empty() {
        let detail = repeats_diagnosis(file, spec, (id, &id_name), count, &repeats);
        problems.push(at_header(ProblemKind::DuplicateId, detail));
    } else if spec.shape == TableShape::Long && wanted.is_none() {
        if let Some(detail) = totals_counted_twice(file, &headers, spec, id, count) {
            problems.push(at_header(ProblemKind::BadValue, detail));
        }
    }
    out
}

/// Up to eight values, quoted, with how many more.
fn list(values: &Values) -> String {
    let shown: Vec<String> = values.iter().take(8).map(|v| quoted(v)).collect();
    let more = values.0.len().saturating_sub(8);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Within the rows of the first area that has several: the first column
/// (other than the id and count) whose value differs between them, with
/// the values it takes across the file (at most 50).
fn varying_column(file: &Path, id: usize, count: usize) -> Option<(usize, String, Values)> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(file)
        .ok()?;
    let headers = r.headers().ok()?.clone();
    let mut first: HashMap<String, StringRecord> = HashMap::new();
    let mut column = None;
    let mut values = Values::default();
    for record in r.records().filter_map(Result::ok) {
        let key = record.get(id).unwrap_or("").trim().to_string();
        match column {
            None => match first.get(&key) {
                None => {
                    first.insert(key, record);
                }
                Some(earlier) => {
                    let c = (0..headers.len())
                        .find(|&c| c != id && c != count && earlier.get(c) != record.get(c))?;
                    values.add(earlier.get(c).unwrap_or(""));
                    values.add(record.get(c).unwrap_or(""));
                    column = Some(c);
                    first.clear();
                }
            },
            Some(c) => values.add(record.get(c).unwrap_or("")),
        }
    }
    let c = column?;
    Some((c, headers.get(c).unwrap_or("").trim().to_string(), values))
}

/// A category value that stands for the whole area (`Total`, `All usual
/// residents`, …).
fn is_total(v: &str) -> bool {
    let v = norm(v);
    v.starts_with("total") || v.starts_with("all ")
}

/// The one diagnosis for a table whose ids repeat: how many areas, the
/// likely shape and the settings that fix it.
fn repeats_diagnosis(
    file: &Path,
    spec: &CensusSpec,
    (id, id_name): (usize, &str),
    count: usize,
    repeats: &HashMap<String, usize>,
) -> String {
    let mut ids: Vec<(&String, &usize)> = repeats.iter().collect();
    ids.sort();
    let (first, rows) = ids[0];
    let head = format!(
        "{} areas have more than one row (e.g. {id_name} {} has {rows})",
        repeats.len(),
        quoted(first)
    );
    if spec.category.is_some() {
        format!(
            "{head} with {} = {}: each area needs one row of that category",
            spec.category_column.as_deref().unwrap_or("?"),
            quoted(spec.category.as_deref().unwrap_or(""))
        )
    } else {
        match varying_column(file, id, count) {
            Some((_, column, values)) => {
                let layer = &spec.layer;
                let values_list = list(&values);
                let fix = match values.iter().find(|v| is_total(v)) {
                    Some(t) => format!(
                        "Its {column} {} holds each area's whole count: set population_category_column = {column:?} and population_category = {t:?} on layer {layer}",
                        quoted(t)
                    ),
                    None => format!(
                        "Set population_table = \"long\" on layer {layer} to add each area's rows up, or population_category_column = {column:?} and population_category = one of them to take one"
                    ),
                };
                format!("{head}: this looks like a long table, one row per area and {column} ({values_list}). {fix}")
            }
            None => format!(
                "{head}, and the rows of an area differ only in their count: remove the repeated rows, or set population_table = \"long\" on layer {} to add them up",
                spec.layer
            ),
        }
    }
}

/// For a long table added up: why not, when one of its categories is a
/// total (its rows already hold the whole area, so adding them counts
/// everyone twice).
fn totals_counted_twice(
    file: &Path,
    headers: &StringRecord,
    spec: &CensusSpec,
    id: usize,
    count: usize,
) -> Option<String> {
    let (_, column, values) = match &spec.category_column {
        Some(c) => {
            let i = headers.iter().position(|h| h.trim() == c)?;
            let mut values = Values::default();
            let mut r = csv::ReaderBuilder::new()
                .flexible(true)
                .from_path(file)
                .ok()?;
            for record in r.records().filter_map(Result::ok) {
                values.add(record.get(i).unwrap_or(""));
            }
            (i, c.clone(), values)
        }
        None => varying_column(file, id, count)?,
    };
    let total = values.iter().find(|v| is_total(v))?;
    Some(format!(
        "{column} {} already holds each area's whole count, so adding up every row counts everyone twice: set population_category_column = {column:?} and population_category = {total:?}",
        quoted(total)
    ))
}
