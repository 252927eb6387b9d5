//! The census table as published: its shape (wide, or long and added up)
//! found by reading it, its ids checked against the layer's areas, and the
//! rows of the region's areas copied in.

use super::files::copy_rows;
use super::request::{setting, InitError, InitRequest};
use feedmap_geography::census::{self, CensusSpec};
use feedmap_geography::manifest::TableShape;
use feedmap_geography::validate::ProblemKind;
use std::collections::HashSet;
use std::path::Path;

/// Reads the census table as a wide table, then, when it repeats area ids,
/// as a long one (one row per area and category, added up); checks its
/// ids are the layer's; copies the rows of the layer's areas into the
/// region. Returns the layer keys and a line for the report.
pub(super) fn census_table(
    req: &InitRequest,
    table: &Path,
    layer: &str,
    ids: &HashSet<String>,
    work: &Path,
) -> Result<(Vec<(String, String)>, String), InitError> {
    let given = |k: &str| setting(req, layer, k).map(str::to_string);
    let mut spec = CensusSpec {
        layer: layer.to_string(),
        id_column: given("population_id_column"),
        count_column: given("population_column"),
        shape: match given("population_table").as_deref() {
            Some("long") => TableShape::Long,
            _ => TableShape::Wide,
        },
        category_column: given("population_category_column"),
        category: given("population_category"),
    };
    if spec.category.is_some() {
        spec.shape = TableShape::Long;
    }
    let shape_given = given("population_table").is_some() || spec.category.is_some();
    let mut problems = Vec::new();
    let mut read = census::read(table, &spec, &mut problems);
    if !shape_given && problems.iter().any(|p| p.kind == ProblemKind::DuplicateId) {
        spec.shape = TableShape::Long;
        problems.clear();
        read = census::read(table, &spec, &mut problems);
    }
    if !problems.is_empty() {
        return Err(InitError::Census {
            file: table.to_path_buf(),
            problems: feedmap_geography::validate::grouped(&problems),
        });
    }
    let matched = read.keys().filter(|k| ids.contains(*k)).count();
    if matched * 2 < ids.len().min(read.len()).max(1) {
        return Err(InitError::CensusIds {
            file: table.to_path_buf(),
            layer: layer.to_string(),
            matched,
            rows: read.len(),
            areas: ids.len(),
            example: ids.iter().next().cloned().unwrap_or_default(),
        });
    }
    let residents: f64 = read
        .iter()
        .filter(|(k, _)| ids.contains(*k))
        .map(|(_, v)| v)
        .sum();
    // Only the rows of the region's areas go into the region.
    let id_column = census::id_column(table, &spec);
    let name = format!("{layer}_census.csv");
    let kept_rows = copy_rows(table, &work.join(&name), |row| {
        id_column.is_none_or(|c| row.get(c).is_some_and(|v| ids.contains(v.trim())))
    })?;
    let mut keys = vec![("population_file".to_string(), name)];
    if spec.shape == TableShape::Long {
        keys.push(("population_table".into(), "long".into()));
    }
    for (k, v) in [
        ("population_id_column", &spec.id_column),
        ("population_column", &spec.count_column),
        ("population_category_column", &spec.category_column),
        ("population_category", &spec.category),
    ] {
        if let Some(v) = v {
            keys.push((k.to_string(), v.clone()));
        }
    }
    let comment = format!(
        "{}: a {} table, {} residents in {matched} of the {} areas ({kept_rows} rows kept){}",
        table.display(),
        if spec.shape == TableShape::Long {
            "long (one row per area and category, an area's rows added up)"
        } else {
            "wide (one row per area)"
        },
        crate::plan::explain::thousands(residents),
        ids.len(),
        if matched < ids.len() {
            format!(
                "; {} areas have no row and count no residents",
                ids.len() - matched
            )
        } else {
            String::new()
        }
    );
    Ok((keys, comment))
}
