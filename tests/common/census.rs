//! Census tables in long format (one row per area and category), as Nomis
//! and ONS publish them, derived from Trafford's real Census 2021 counts per
//! output area (`trafford_census2021_population_oa.csv`, 738 areas,
//! 235,013 usual residents).
//!
//! Synthetic: the category split. The real file has one row per area; each
//! area's real count is split into six age groups by fixed shares (the last
//! group takes what rounding leaves), so every area's rows add up to its
//! published count exactly. The age split itself is made up.

use std::path::Path;

/// The six age groups.
pub const AGES: [&str; 6] = [
    "Aged 4 years and under",
    "Aged 5 to 15 years",
    "Aged 16 to 24 years",
    "Aged 25 to 49 years",
    "Aged 50 to 64 years",
    "Aged 65 years and over",
];
const SHARES: [f64; 6] = [0.06, 0.13, 0.10, 0.34, 0.19, 0.18];

/// What a column of a long table holds.
#[derive(Debug, Clone, Copy)]
pub enum Col {
    /// The census date (`2021`).
    Date,
    /// The area's code.
    Code,
    /// The area's name (an output area's is its code).
    Name,
    /// The age group (or the total row's category).
    Category,
    /// The residents.
    Count,
}

/// Nomis's columns, as it downloads a Census 2021 table for output areas.
pub const NOMIS: [(&str, Col); 5] = [
    ("date", Col::Date),
    ("geography", Col::Name),
    ("geography code", Col::Code),
    ("Age: Age (6 categories)", Col::Category),
    ("Observation", Col::Count),
];

/// The real counts per output area: (code, count).
pub fn real_counts(data: &Path) -> Vec<(String, u64)> {
    csv::Reader::from_path(data.join("trafford_census2021_population_oa.csv"))
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[2].parse().unwrap())
        })
        .collect()
}

/// One area's count split into the six age groups, adding up exactly.
pub fn split(n: u64) -> [u64; 6] {
    let mut out = [0; 6];
    let mut left = n;
    for i in 0..5 {
        out[i] = ((n as f64) * SHARES[i]).floor() as u64;
        left -= out[i];
    }
    out[5] = left;
    out
}

/// Writes a long table to `path` with `columns` (header and what each
/// holds): for every real area, then every area of `extra`, a row per age
/// group, after a `total` row when given. Returns the areas' counts added
/// up (the total rows not counted).
pub fn long_table(
    data: &Path,
    path: &Path,
    columns: &[(&str, Col)],
    total: Option<&str>,
    extra: &[(String, u64)],
) -> u64 {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(columns.iter().map(|(h, _)| *h)).unwrap();
    let mut sum = 0;
    for (code, n) in real_counts(data).into_iter().chain(extra.iter().cloned()) {
        let row = |category: &str, count: u64| {
            columns
                .iter()
                .map(|(_, c)| match c {
                    Col::Date => "2021".to_string(),
                    Col::Code | Col::Name => code.clone(),
                    Col::Category => category.to_string(),
                    Col::Count => count.to_string(),
                })
                .collect::<Vec<_>>()
        };
        if let Some(t) = total {
            w.write_record(row(t, n)).unwrap();
        }
        for (age, k) in AGES.iter().zip(split(n)) {
            w.write_record(row(age, k)).unwrap();
        }
        sum += n;
    }
    w.flush().unwrap();
    sum
}
