//! Tables of named settings, one row per setting: its name (as
//! `?name=value` and `--param name=value`), what it takes, and one line
//! saying what it does. The health and consolidation parameters are such
//! tables (`HealthParams::SETTINGS`, `ConsolidationParams::SETTINGS`, in
//! the modules that use them, above this one); their parsers,
//! the command line's list of known names, the HTTP handlers' list of
//! allowed parameters and the OpenAPI document all read the table, so a
//! setting is added, bounded and described in one place.

use serde_json::{json, Value};

/// What a setting takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Takes {
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A whole number within `min..=max`.
    Whole {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A whole number within `min..=max`, or `none` for no limit.
    WholeOrNone {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A number from 0 to 1.
    Fraction,
    /// Comma-separated names (checked by the table's owner).
    Names,
}

/// A value read for a setting.
#[derive(Debug, Clone, PartialEq)]
pub enum Read<'v> {
    /// A checked date.
    Date(&'v str),
    /// A whole number in range.
    Whole(i64),
    /// A whole number in range, or `None` for `none`.
    Limit(Option<i64>),
    /// A number from 0 to 1.
    Fraction(f64),
    /// The names, trimmed, empty ones left out.
    Names(Vec<&'v str>),
}

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setting {
    /// Its name.
    pub name: &'static str,
    /// What it takes.
    pub takes: Takes,
    /// What it does, with its default, in one line.
    pub doc: &'static str,
}

impl Setting {
    /// Reads `value`; an error names the setting and what it takes.
    pub fn read<'v>(&self, value: &'v str) -> Result<Read<'v>, String> {
        let name = self.name;
        let whole = |min: i64, max: i64| {
            value
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    format!("{name} must be a whole number from {min} to {max}, not {value:?}")
                })
        };
        match self.takes {
            Takes::Date if feedmap_geography::calendar::is_date(value) => Ok(Read::Date(value)),
            Takes::Date => Err(format!("{name} must be a date (YYYY-MM-DD), not {value:?}")),
            Takes::Whole { min, max } => whole(min, max).map(Read::Whole),
            Takes::WholeOrNone { .. } if value == "none" => Ok(Read::Limit(None)),
            Takes::WholeOrNone { min, max } => whole(min, max).map(|n| Read::Limit(Some(n))),
            Takes::Fraction => value
                .parse::<f64>()
                .ok()
                .filter(|x| (0.0..=1.0).contains(x))
                .map(Read::Fraction)
                .ok_or_else(|| format!("{name} must be a number from 0 to 1, not {value:?}")),
            Takes::Names => Ok(Read::Names(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect(),
            )),
        }
    }

    /// Its value's JSON Schema (for the OpenAPI document).
    pub fn schema(&self) -> Value {
        match self.takes {
            Takes::Date => json!({"type": "string", "format": "date"}),
            Takes::Whole { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
            Takes::WholeOrNone { min, max } => json!({"oneOf": [
                {"type": "integer", "minimum": min, "maximum": max},
                {"type": "string", "enum": ["none"]}
            ]}),
            Takes::Fraction => json!({"type": "number", "minimum": 0, "maximum": 1}),
            Takes::Names => json!({"type": "string"}),
        }
    }
}

/// The names of a table's settings, in its order.
pub fn names(table: &[Setting]) -> Vec<&'static str> {
    table.iter().map(|s| s.name).collect()
}

/// Each `(name, value)` pair of a table's setting, read; pairs naming no
/// setting of the table are passed by (the caller decides whether they
/// are allowed).
pub fn read<'p>(
    table: &'static [Setting],
    pairs: &'p [(String, String)],
) -> impl Iterator<Item = Result<(&'static str, Read<'p>), String>> + 'p {
    pairs.iter().filter_map(move |(k, v)| {
        table
            .iter()
            .find(|s| s.name == k)
            .map(|s| s.read(v).map(|r| (s.name, r)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_with_their_bounds_and_named_errors() {
        let days = Setting {
            name: "dormant_days",
            takes: Takes::Whole { min: 1, max: 3650 },
            doc: "",
        };
        assert_eq!(days.read("30"), Ok(Read::Whole(30)));
        assert_eq!(
            days.read("0"),
            Err("dormant_days must be a whole number from 1 to 3650, not \"0\"".into())
        );
        let limit = Setting {
            name: "max_changes",
            takes: Takes::WholeOrNone { min: 0, max: 9 },
            doc: "",
        };
        assert_eq!(limit.read("none"), Ok(Read::Limit(None)));
        assert_eq!(limit.read("9"), Ok(Read::Limit(Some(9))));
        assert!(limit.read("10").is_err());
        let at = Setting {
            name: "at",
            takes: Takes::Date,
            doc: "",
        };
        assert_eq!(at.read("2026-02-28"), Ok(Read::Date("2026-02-28")));
        assert_eq!(
            at.read("2026-13-01"),
            Err("at must be a date (YYYY-MM-DD), not \"2026-13-01\"".into())
        );
        let reach = Setting {
            name: "min_reach",
            takes: Takes::Fraction,
            doc: "",
        };
        assert_eq!(reach.read("0.5"), Ok(Read::Fraction(0.5)));
        assert!(reach.read("1.5").is_err());
        assert_eq!(
            limit.schema()["oneOf"][0],
            json!({"type": "integer", "minimum": 0, "maximum": 9})
        );
    }
}
