//! The commented `region.toml` init writes.

use super::request::Planned;
use crate::readiness;

/// A TOML string.
pub(super) fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The commented manifest.
pub(super) fn manifest(
    name: &str,
    layers: &[Planned],
    census: Option<&str>,
    postcodes: Option<&str>,
    feeds: bool,
) -> String {
    let mut m = String::new();
    m.push_str("# A feedmap region, written by `feedmap init` from a force's own files.\n");
    m.push_str("# Every key is explained in the book: Planners > Your force's data.\n\n");
    m.push_str(&format!("name = {}\n", toml_str(name)));
    m.push_str(&format!(
        "attribution = {}\n",
        toml_str("Contains public sector information licensed under the Open Government Licence v3.0: ONS and OS boundaries © Crown copyright and database right; police neighbourhoods from data.police.uk")
    ));
    for l in layers {
        m.push_str(&format!("\n# {}\n[[layers]]\n", l.comment));
        m.push_str(&format!(
            "id = {}\nrole = {}\nfile = {}\n",
            toml_str(&l.id),
            toml_str(l.role),
            toml_str(&l.file)
        ));
        for (k, v) in &l.keys {
            if k == "population_file" {
                if let Some(c) = census {
                    m.push_str(&format!("# census table {c}\n"));
                }
            }
            m.push_str(&format!("{k} = {}\n", toml_str(v)));
        }
    }
    match postcodes {
        Some(p) => m.push_str(&format!(
            "\n# {p}\n[postcodes]\nfile = \"postcodes.csv\"\npostcode_column = \"postcode\"\nlat_column = \"lat\"\nlon_column = \"lon\"\nterminated_column = \"terminated\"\n"
        )),
        None => m.push_str(&format!(
            "\n# No postcode directory: lookups by postcode are off. Get {}.\n",
            readiness::sources::POSTCODES
        )),
    }
    if feeds {
        m.push_str("\n# The force's accounts.\n[feeds]\nfile = \"feeds.csv\"\n");
    } else {
        m.push_str(&format!(
            "\n# No feed list: lookups answer with areas only. Add {},\n# as:\n# [feeds]\n# file = \"feeds.csv\"\n",
            readiness::sources::FEEDS
        ));
    }
    m
}
