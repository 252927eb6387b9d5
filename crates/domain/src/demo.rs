//! The deterministic generator of the fictional demo region, and of
//! national-scale synthetic regions for benchmarks.
//!
//! Geometry comes from one jittered lattice: every lattice node and every
//! lattice edge has a wobble derived from a hash of its position, so two
//! polygons that share an edge share exactly the same vertices, and the
//! output is identical on every machine. Areas are rectangles of lattice
//! cells; cells that belong to no community are open countryside, which is
//! what makes a village "detached".

use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

/// Where and how big the synthetic lattice is.
#[derive(Debug, Clone, Copy)]
struct Lattice {
    lon0: f64,
    lat0: f64,
    dlon: f64,
    dlat: f64,
    seed: u64,
    /// Intermediate points per lattice edge.
    wiggles: usize,
}

fn hash(seed: u64, a: i64, b: i64, c: i64) -> u64 {
    // SplitMix64 over the mixed inputs: cheap, well distributed, stable.
    let mut z = seed
        ^ (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (b as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ (c as u64).wrapping_mul(0x1656_67B1_9E37_79F9);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A deterministic number in [-1, 1).
fn unit(seed: u64, a: i64, b: i64, c: i64) -> f64 {
    (hash(seed, a, b, c) >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

impl Lattice {
    fn node(&self, i: i64, j: i64) -> [f64; 2] {
        let jx = 0.18 * unit(self.seed, i, j, 1);
        let jy = 0.18 * unit(self.seed, i, j, 2);
        [
            round6(self.lon0 + (i as f64 + jx) * self.dlon),
            round6(self.lat0 + (j as f64 + jy) * self.dlat),
        ]
    }

    /// Points from node `from` to node `to` (exclusive of `to`), along a
    /// horizontal (`dir` 0) or vertical (`dir` 1) lattice edge starting at
    /// the lower node `(i, j)`. `reverse` walks it backwards.
    fn edge(&self, i: i64, j: i64, dir: i64, reverse: bool, out: &mut Vec<[f64; 2]>) {
        let a = self.node(i, j);
        let b = if dir == 0 {
            self.node(i + 1, j)
        } else {
            self.node(i, j + 1)
        };
        let mut pts = vec![a];
        let k = self.wiggles;
        for w in 1..=k {
            let t = w as f64 / (k + 1) as f64;
            let off = 0.08 * unit(self.seed, i * 4 + dir, j, 10 + w as i64);
            // Perpendicular offset, in cell units.
            let (px, py) = if dir == 0 {
                (0.0, off * self.dlat)
            } else {
                (off * self.dlon, 0.0)
            };
            pts.push([
                round6(a[0] + (b[0] - a[0]) * t + px),
                round6(a[1] + (b[1] - a[1]) * t + py),
            ]);
        }
        if reverse {
            pts.push(b);
            pts.reverse();
            pts.pop();
        }
        out.extend(pts);
    }

    /// A point inside cell `(i, j)` at fractions `(u, v)` of the way across
    /// it (bilinear between the jittered corners); for `u, v` in 0.3–0.7 it
    /// is well clear of the edges' wobble, so it is inside the cell's area.
    fn inside(&self, i: i64, j: i64, u: f64, v: f64) -> [f64; 2] {
        let (a, b, c, d) = (
            self.node(i, j),
            self.node(i + 1, j),
            self.node(i + 1, j + 1),
            self.node(i, j + 1),
        );
        let lerp = |k: usize| {
            (1.0 - u) * (1.0 - v) * a[k]
                + u * (1.0 - v) * b[k]
                + u * v * c[k]
                + (1.0 - u) * v * d[k]
        };
        [round6(lerp(0)), round6(lerp(1))]
    }

    /// The closed counter-clockwise ring around cells `[i0, i1) × [j0, j1)`.
    fn rect_ring(&self, i0: i64, i1: i64, j0: i64, j1: i64) -> Vec<[f64; 2]> {
        let mut ring = Vec::new();
        for i in i0..i1 {
            self.edge(i, j0, 0, false, &mut ring);
        }
        for j in j0..j1 {
            self.edge(i1, j, 1, false, &mut ring);
        }
        for i in (i0..i1).rev() {
            self.edge(i, j1, 0, true, &mut ring);
        }
        for j in (j0..j1).rev() {
            self.edge(i0, j, 1, true, &mut ring);
        }
        ring.push(ring[0]);
        ring
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// A rectangle of lattice cells: `i0, i1, j0, j1` (end-exclusive).
type Cells = (i64, i64, i64, i64);

/// One generated area: a rectangle of lattice cells.
struct Block {
    id: String,
    name: String,
    cells: Cells,
    population: u64,
    extra: Value,
}

/// The demo county: (neighbourhood code, name, cells i0,i1,j0,j1, rural
/// residents outside any community).
const NEIGHBOURHOODS: &[(&str, &str, Cells, u64)] = &[
    ("DV01", "Marlow Fen", (0, 6, 0, 6), 1500),
    ("DV02", "Harrowgate Central", (6, 10, 0, 5), 0),
    ("DV03", "Eastmere", (10, 16, 0, 5), 800),
    ("DV04", "Northby", (0, 6, 6, 10), 700),
    ("DV05", "Quayside", (6, 9, 5, 10), 0),
    ("DV06", "Saltings", (9, 12, 5, 10), 200),
    ("DV07", "Brindle Heath", (12, 16, 5, 8), 300),
    ("DV08", "Coldharbour Moor", (12, 16, 8, 10), 400),
];

/// Communities: (neighbourhood code, name, cells, population, kind). Kinds
/// document the planning story each one tells.
const COMMUNITIES: &[(&str, &str, Cells, u64, &str)] = &[
    ("DV01", "Marlow Market", (3, 5, 3, 5), 6200, "town centre"),
    ("DV01", "Marlow Bridge", (5, 6, 3, 5), 4100, "town"),
    ("DV01", "Marlow Hill", (3, 6, 5, 6), 4800, "town"),
    ("DV01", "Fenside", (3, 6, 2, 3), 2600, "town edge"),
    (
        "DV01",
        "Marlow Cross",
        (3, 4, 1, 2),
        1300,
        "hamlet on the town edge",
    ),
    (
        "DV01",
        "Little Wexcombe",
        (0, 1, 0, 1),
        3400,
        "detached village ringed by fields",
    ),
    (
        "DV01",
        "Hobb's Cross Estate",
        (0, 2, 3, 5),
        5200,
        "separate estate beyond the fen",
    ),
    ("DV02", "Old Harrowgate", (6, 8, 0, 2), 5200, "inner town"),
    (
        "DV02",
        "Harrowgate Docks",
        (8, 10, 0, 2),
        4300,
        "inner town",
    ),
    ("DV02", "St Aldric's", (6, 8, 2, 3), 3900, "inner town"),
    ("DV02", "Canal Row", (8, 10, 2, 3), 3100, "inner town"),
    ("DV02", "Northgate", (6, 8, 3, 5), 3500, "inner town"),
    ("DV02", "Ropewalk", (8, 10, 3, 5), 3300, "inner town"),
    ("DV03", "Eastmere Town", (10, 12, 0, 3), 6200, "market town"),
    ("DV03", "Mereside", (12, 13, 0, 3), 2900, "market town"),
    ("DV03", "Eastmere Quay", (13, 14, 0, 3), 2800, "market town"),
    ("DV03", "Sandling", (10, 12, 3, 5), 2400, "suburb"),
    ("DV03", "Tollgate", (14, 16, 0, 2), 1200, "hamlet"),
    (
        "DV03",
        "Ravensholt Estate",
        (14, 16, 3, 5),
        5600,
        "separate estate across the mere",
    ),
    ("DV04", "Northby", (2, 4, 7, 9), 4100, "village"),
    ("DV04", "Northby Green", (4, 6, 7, 9), 3600, "village"),
    ("DV04", "Stonecross", (2, 6, 6, 7), 2200, "village edge"),
    (
        "DV04",
        "Northby Fields",
        (2, 6, 9, 10),
        1500,
        "scattered farms",
    ),
    ("DV04", "Ashby Moor", (0, 2, 6, 8), 1800, "moorland hamlets"),
    (
        "DV04",
        "Kettlewick",
        (0, 1, 9, 10),
        900,
        "tiny detached hamlet",
    ),
    ("DV05", "Quayside", (6, 9, 5, 6), 2400, "harbour"),
    ("DV05", "Harbour Mount", (6, 9, 6, 7), 3000, "harbour"),
    ("DV05", "Pier Lane", (6, 8, 7, 10), 2900, "harbour"),
    ("DV05", "Lantern Yard", (8, 9, 7, 10), 1100, "harbour"),
    ("DV06", "Saltings", (9, 11, 5, 8), 3900, "coastal village"),
    ("DV06", "Saltings Marsh", (11, 12, 5, 8), 800, "marsh"),
    ("DV06", "Gullhaven", (9, 12, 8, 10), 3000, "coastal village"),
    ("DV07", "Brindle", (12, 14, 5, 7), 2600, "heath village"),
    (
        "DV07",
        "Brindle Green",
        (12, 14, 7, 8),
        1000,
        "heath village",
    ),
    ("DV07", "Heathend", (14, 16, 5, 8), 2900, "heath village"),
    ("DV08", "Coldharbour", (13, 15, 8, 10), 1400, "moor village"),
    ("DV08", "Moor End", (15, 16, 9, 10), 300, "farmstead"),
];

const DEMO_NAME: &str = "Dogger Vale (fictional demo county)";
const DEMO_ATTRIBUTION: &str =
    "Fictional demo data generated by `feedmap demo`; not a real place. No licence restrictions.";

/// Writes the demo region (manifest, neighbourhoods, communities, README)
/// into `out`. Deterministic: the same bytes on every run and machine.
pub fn write_demo(out: &Path) -> std::io::Result<()> {
    let lattice = Lattice {
        lon0: 2.0,
        lat0: 54.75,
        dlon: 0.022,
        dlat: 0.013,
        seed: 0xD066E2,
        wiggles: 3,
    };
    let mut communities = Vec::new();
    for (k, (n, name, cells, pop, kind)) in COMMUNITIES.iter().enumerate() {
        communities.push(Block {
            id: format!("{n}-C{:02}", k + 1),
            name: (*name).into(),
            cells: *cells,
            population: *pop,
            extra: json!({ "neighbourhood": n, "kind": kind }),
        });
    }
    let neighbourhoods: Vec<Block> = NEIGHBOURHOODS
        .iter()
        .map(|(code, name, cells, rural)| {
            let inside: u64 = COMMUNITIES
                .iter()
                .filter(|c| c.0 == *code)
                .map(|c| c.3)
                .sum();
            Block {
                id: (*code).into(),
                name: (*name).into(),
                cells: *cells,
                population: inside + rural,
                extra: json!({}),
            }
        })
        .collect();
    write_region(
        out,
        &lattice,
        DEMO_NAME,
        DEMO_ATTRIBUTION,
        &neighbourhoods,
        &communities,
    )?;
    write_demo_postcodes(out, &lattice)?;
    write_demo_addresses(out, &lattice)?;
    std::fs::write(out.join("feeds.csv"), demo_feeds())?;
    std::fs::write(out.join("activity.csv"), demo_activity())?;
    std::fs::write(out.join("police_uk.json"), demo_listings())?;
    let mut manifest = std::fs::read_to_string(out.join("region.toml"))?;
    manifest.push_str(
        "\n[postcodes]\n# ONSPD column names (pcds, lat, long, doterm) are the defaults.\nfile = \"postcodes.csv\"\n\n[feeds]\nfile = \"feeds.csv\"\nactivity = \"activity.csv\"\n# Fictional activity: its newest day is read as today, so the demo never goes stale.\nactivity_relative_to_today = true\nlistings = \"police_uk.json\"\n\n[addresses]\nfile = \"addresses.csv\"\n\n[force]\n# As data.police.uk would name it: the /police-api/ endpoints answer for it.\nid = \"dogger-vale\"\nname = \"Dogger Vale Police\"\nurl = \"https://www.doggervale.police.example/\"\ntelephone = \"101\"\nneighbourhood_url = \"https://www.doggervale.police.example/area/{id}\"\n\n[question]\n# The public question (/question): counted per area, nothing personal kept.\nintro = \"Dogger Vale Police is planning local feeds. Tell us what you call the place you live and whether you would follow a feed about it.\"\nmin_count = 10\n\n[[question.extra]]\nid = \"cover\"\ntext = \"What should a local feed tell you about first?\"\nchoices = [\n  { id = \"crime\", label = \"Crime and arrests nearby\" },\n  { id = \"roads\", label = \"Roads and traffic\" },\n  { id = \"events\", label = \"Events and meetings\" },\n  { id = \"appeals\", label = \"Appeals for information\" },\n]\n",
    );
    std::fs::write(out.join("region.toml"), manifest)?;
    std::fs::write(
        out.join("README.md"),
        "# Dogger Vale: a fictional demo region\n\n\
         Generated by `cargo run --release -- demo --out boundaries/demo`; do not edit by hand.\n\
         Every name, boundary and population here is invented. The county sits on the\n\
         Dogger Bank in the North Sea, so it cannot be mistaken for a real place.\n\n\
         Planning stories built in: Marlow Fen holds a detached village (Little Wexcombe)\n\
         and a separate estate (Hobb's Cross Estate) beside the town of Marlow; Eastmere\n\
         holds a separate estate across the mere (Ravensholt Estate); Harrowgate Central\n\
         is large but one continuous town; Coldharbour Moor, Brindle Heath and Saltings\n\
         are small neighbourhoods.\n\n\
         Ownership stories built in (`feeds.csv` owners, `activity.csv`, `police_uk.json`):\n\
         Old Harrowgate's X account went quiet two months ago and has few followers while\n\
         Harrowgate Central's X reaches the same residents (the consolidation plan merges it);\n\
         Coldharbour Moor's X has not posted for 95 days and its Facebook row names Brindle\n\
         Heath's page (a duplicated handle, no activity recorded); Saltings' X has one\n\
         administrator; Eastmere Town's Facebook is unverified; Gullhaven's Nextdoor has no\n\
         owning team; data.police.uk lists an old X account for Quayside.\n",
    )
}

/// Fictional administrators: first names and surnames that are no place
/// in the demo, so a test can search answers for them.
const ADMIN_FIRST: &[&str] = &[
    "Ada", "Tomas", "Priya", "Owen", "Mira", "Callum", "Hedda", "Joss",
];
const ADMIN_LAST: &[&str] = &[
    "Quillon",
    "Brenning",
    "Okafor",
    "Taverny",
    "Lindqvist",
    "Marchetti",
    "Pryce",
    "Ostrowski",
    "Achebe",
    "Varga",
    "Duquesne",
];

/// The demo's administrator names, in the order feeds use them.
pub fn demo_administrators() -> Vec<String> {
    let mut out = Vec::new();
    for (k, last) in ADMIN_LAST.iter().enumerate() {
        for (j, first) in ADMIN_FIRST.iter().enumerate() {
            if (k + j) % 3 == 0 {
                let rank = if (k + j) % 2 == 0 { "PC" } else { "PCSO" };
                out.push(format!("{rank} {first} {last}"));
            }
        }
    }
    out
}

/// The feed file with its owners: team, administrators, credentials,
/// verification, dates.
fn demo_feeds() -> String {
    let admins = demo_administrators();
    let mut out = String::new();
    let mut next = 0usize;
    for (i, line) in DEMO_FEEDS.lines().enumerate() {
        if i == 0 {
            out.push_str(line);
            out.push_str(",team,administrators,credentials,verification,verified_on,checked_on,status_since\n");
            continue;
        }
        let cells: Vec<&str> = line.split(',').collect();
        let (id, name, status) = (cells[0], cells[6], cells[7]);
        let hood = NEIGHBOURHOODS.iter().find(|n| id.starts_with(n.0));
        let team = match (id, hood) {
            ("DV06-C32-ND", _) => String::new(),
            (_, Some(h)) => format!("{} Neighbourhood Team", h.1),
            (_, None) => "Corporate Communications".into(),
        };
        let count = match id {
            "DV06-X" => 1,
            _ if status == "planned" => 0,
            _ => 2,
        };
        let names: Vec<&str> = (0..count)
            .map(|k| admins[(next + k) % admins.len()].as_str())
            .collect();
        next += count;
        let verification = match id {
            "DV03-C14-FB" => "unverified",
            _ if status == "planned" => "unverified",
            _ => "verified",
        };
        let verified_on = if verification == "verified" {
            "2026-10-01"
        } else {
            ""
        };
        let since = match hood {
            None => "2014-04-01",
            Some(_) if id.contains("-C") && status == "planned" => "2026-09-14",
            Some(_) if id.contains("-C") => "2023-03-01",
            Some(_) => "2019-06-03",
        };
        let _ = name;
        out.push_str(&format!(
            "{line},{team},{},Dogger Vale Police social media platform,{verification},{verified_on},2026-10-15,{since}\n",
            names.join(";")
        ));
    }
    out
}

/// The newest day of the demo's activity file (read as today, see the
/// manifest's `activity_relative_to_today`).
const DEMO_ACTIVITY_END: &str = "2026-11-01";

/// 120 days of posts and followers for every active feed, as a social
/// media management platform exports them. Old Harrowgate's X stops 60
/// days before the end, Coldharbour Moor's X 95 days before; Coldharbour
/// Moor's Facebook (Brindle Heath's page) has no rows of its own.
fn demo_activity() -> String {
    let end = feedmap_geography::calendar::day_number(DEMO_ACTIVITY_END).expect("a date");
    let mut out = String::from("feed_id,handle,platform,date,posts,followers\n");
    for (i, line) in DEMO_FEEDS.lines().enumerate().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (id, platform, handle, status) = (cells[0], cells[1], cells[2], cells[7]);
        if status != "active" || id == "DV08-FB" {
            continue;
        }
        let quiet_from = match id {
            "DV02-C08-X" => 60,
            "DV08-X" => 95,
            _ => 0,
        };
        let base: i64 = match id {
            "DV-FORCE-X" => 24_000,
            "DV-FORCE-FB" => 31_000,
            "DV02-C08-X" => 140,
            _ if id.contains("-C") => 600 + 40 * i as i64,
            _ => 1_800 + 90 * i as i64,
        };
        for back in (0..120).rev() {
            let day = feedmap_geography::calendar::date_of(end - back);
            let roll = hash(0xAC71, i as i64, back, 7) % 10;
            let posts = if back < quiet_from {
                0
            } else {
                [0, 0, 0, 1, 1, 1, 2, 2, 3, 4][roll as usize]
            };
            let followers = base + (120 - back) * (base / 2_000).max(1);
            out.push_str(&format!(
                "{id},{handle},{platform},{day},{posts},{followers}\n"
            ));
        }
    }
    out
}

/// data.police.uk's listing of each demo neighbourhood (its
/// `/api/{force}/{neighbourhood}` JSON), with Quayside's old X account.
fn demo_listings() -> String {
    let list: Vec<Value> = NEIGHBOURHOODS
        .iter()
        .map(|(code, name, _, _)| {
            let slug: String = name.chars().filter(|c| c.is_alphanumeric()).collect();
            let x = match *code {
                "DV02" => "DVP_Harrowgate".to_string(),
                "DV05" => "DVP_QuaysideTeam".to_string(),
                "DV08" => "DVP_Coldharbour".to_string(),
                "DV07" => "DVP_BrindleHeath".to_string(),
                _ => format!("DVP_{}", slug.replace("Central", "")),
            };
            json!({
                "id": code,
                "name": name,
                "url_force": format!("https://www.doggervale.police.example/{}", slug.to_lowercase()),
                "contact_details": {
                    "twitter": format!("https://twitter.example/{x}"),
                    "email": format!("{}@doggervale.police.example", slug.to_lowercase()),
                    "telephone": "101"
                },
                "population": "0"
            })
        })
        .collect();
    serde_json::to_string_pretty(&list).expect("JSON") + "\n"
}

/// Letters allowed in the inward part of a postcode's unit.
const UNIT_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// Demo postcodes: six per community, `DV{neighbourhood} {k}{unit}`, placed
/// inside their community by construction (the tests check that they look
/// up to it), plus one in open countryside and one terminated.
fn write_demo_postcodes(out: &Path, lattice: &Lattice) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(out.join("postcodes.csv"))?;
    w.write_record(["pcds", "lat", "long", "doterm", "community"])?;
    let mut per_hood: std::collections::HashMap<&str, usize> = Default::default();
    for (n, _name, (i0, i1, j0, j1), _pop, _kind) in COMMUNITIES {
        let k = per_hood.entry(n).or_default();
        let district = &n[2..].trim_start_matches('0');
        let code = COMMUNITIES
            .iter()
            .position(|c| c.0 == *n && c.2 == (*i0, *i1, *j0, *j1))
            .unwrap();
        for (u, &letter) in UNIT_LETTERS.iter().enumerate().take(6) {
            let cells_i = (i1 - i0) as usize;
            let cells_j = (j1 - j0) as usize;
            let ci = *i0 + (u % cells_i) as i64;
            let cj = *j0 + ((u / cells_i) % cells_j) as i64;
            let fu = 0.35 + 0.3 * ((u * 7 % 5) as f64 / 4.0);
            let fv = 0.35 + 0.3 * ((u * 3 % 5) as f64 / 4.0);
            let p = lattice.inside(ci, cj, fu, fv);
            let unit = [UNIT_LETTERS[*k % UNIT_LETTERS.len()], letter];
            let postcode = format!(
                "DV{district} {}{}",
                (*k / UNIT_LETTERS.len()) + 1,
                String::from_utf8_lossy(&unit)
            );
            w.write_record([
                postcode,
                p[1].to_string(),
                p[0].to_string(),
                String::new(),
                format!("{n}-C{:02}", code + 1),
            ])?;
        }
        *k += 1;
    }
    // Open countryside of Marlow Fen (no community), live and terminated.
    let fields = lattice.inside(1, 1, 0.5, 0.5);
    w.write_record([
        "DV1 9ZZ",
        &fields[1].to_string(),
        &fields[0].to_string(),
        "",
        "",
    ])?;
    let old = lattice.inside(2, 2, 0.5, 0.5);
    w.write_record([
        "DV1 9ZY",
        &old[1].to_string(),
        &old[0].to_string(),
        "201906",
        "",
    ])?;
    w.flush()
}

/// A few demo addresses per community, for free-text search.
fn write_demo_addresses(out: &Path, lattice: &Lattice) -> std::io::Result<()> {
    const STREETS: &[&str] = &["High Street", "Church Lane", "Mill Road"];
    let mut w = csv::Writer::from_path(out.join("addresses.csv"))?;
    w.write_record(["address", "lat", "lon"])?;
    for (k, (_n, name, (i0, _i1, j0, _j1), _pop, _kind)) in COMMUNITIES.iter().enumerate() {
        for (s, street) in STREETS.iter().enumerate() {
            let p = lattice.inside(*i0, *j0, 0.4 + 0.1 * s as f64, 0.5);
            let number = 1 + (k * 7 + s * 13) % 90;
            w.write_record([
                format!("{number} {street}, {name}"),
                p[1].to_string(),
                p[0].to_string(),
            ])?;
        }
    }
    w.flush()
}

/// The demo feed list: X and Facebook for every neighbourhood, a few
/// community feeds (one planned), and force-wide accounts. `.example`
/// hosts keep every URL fictional. Coldharbour Moor's Facebook row names
/// Brindle Heath's page (a duplicated handle for the health rules); the
/// owners are added by [`demo_feeds`].
const DEMO_FEEDS: &str = "\
feed_id,platform,handle,url,layer,area_id,name,status
DV-FORCE-X,x,@DoggerValePolice,https://x.example/DoggerValePolice,,,Dogger Vale Police,active
DV-FORCE-FB,facebook,DoggerValePolice,https://facebook.example/DoggerValePolice,,,Dogger Vale Police,active
DV01-X,x,@DVP_MarlowFen,https://x.example/DVP_MarlowFen,neighbourhoods,DV01,Marlow Fen Neighbourhood Team,active
DV01-FB,facebook,DVPMarlowFen,https://facebook.example/DVPMarlowFen,neighbourhoods,DV01,Marlow Fen Neighbourhood Team,active
DV02-X,x,@DVP_Harrowgate,https://x.example/DVP_Harrowgate,neighbourhoods,DV02,Harrowgate Central Neighbourhood Team,active
DV02-FB,facebook,DVPHarrowgate,https://facebook.example/DVPHarrowgate,neighbourhoods,DV02,Harrowgate Central Neighbourhood Team,active
DV03-X,x,@DVP_Eastmere,https://x.example/DVP_Eastmere,neighbourhoods,DV03,Eastmere Neighbourhood Team,active
DV03-FB,facebook,DVPEastmere,https://facebook.example/DVPEastmere,neighbourhoods,DV03,Eastmere Neighbourhood Team,active
DV04-X,x,@DVP_Northby,https://x.example/DVP_Northby,neighbourhoods,DV04,Northby Neighbourhood Team,active
DV04-FB,facebook,DVPNorthby,https://facebook.example/DVPNorthby,neighbourhoods,DV04,Northby Neighbourhood Team,active
DV05-X,x,@DVP_Quayside,https://x.example/DVP_Quayside,neighbourhoods,DV05,Quayside Neighbourhood Team,active
DV05-FB,facebook,DVPQuayside,https://facebook.example/DVPQuayside,neighbourhoods,DV05,Quayside Neighbourhood Team,active
DV06-X,x,@DVP_Saltings,https://x.example/DVP_Saltings,neighbourhoods,DV06,Saltings Neighbourhood Team,active
DV06-FB,facebook,DVPSaltings,https://facebook.example/DVPSaltings,neighbourhoods,DV06,Saltings Neighbourhood Team,active
DV07-X,x,@DVP_BrindleHeath,https://x.example/DVP_BrindleHeath,neighbourhoods,DV07,Brindle Heath Neighbourhood Team,active
DV07-FB,facebook,DVPBrindleHeath,https://facebook.example/DVPBrindleHeath,neighbourhoods,DV07,Brindle Heath Neighbourhood Team,active
DV08-X,x,@DVP_Coldharbour,https://x.example/DVP_Coldharbour,neighbourhoods,DV08,Coldharbour Moor Neighbourhood Team,active
DV08-FB,facebook,DVPBrindleHeath,https://facebook.example/DVPBrindleHeath,neighbourhoods,DV08,Coldharbour Moor Neighbourhood Team,active
DV01-C01-X,x,@MarlowMarketPolice,https://x.example/MarlowMarketPolice,communities,DV01-C01,Marlow Market Police,active
DV02-C08-X,x,@OldHarrowgateCops,https://x.example/OldHarrowgateCops,communities,DV02-C08,Old Harrowgate Police,active
DV02-C08-IG,instagram,oldharrowgatepolice,https://instagram.example/oldharrowgatepolice,communities,DV02-C08,Old Harrowgate Police,active
DV03-C14-FB,facebook,EastmereTownPolice,https://facebook.example/EastmereTownPolice,communities,DV03-C14,Eastmere Town Police,active
DV06-C32-ND,nextdoor,Gullhaven Police,https://nextdoor.example/gullhaven,communities,DV06-C32,Gullhaven Police,active
DV01-C06-X,x,@LittleWexcombePolice,https://x.example/LittleWexcombePolice,communities,DV01-C06,Little Wexcombe Police,planned
";

/// Writes a synthetic region of `neighbourhoods` square-ish neighbourhoods
/// and about `communities` communities (whole lattice cells) for benchmarks.
pub fn write_synthetic(
    out: &Path,
    neighbourhoods: usize,
    communities: usize,
    seed: u64,
) -> std::io::Result<()> {
    let n = neighbourhoods.max(1);
    let per = (communities / n).max(1);
    let bw = (per as f64).sqrt().ceil() as i64;
    let bh = (per as i64 + bw - 1) / bw;
    let nx = (n as f64).sqrt().ceil() as i64;
    let lattice = Lattice {
        lon0: -5.0,
        lat0: 50.5,
        dlon: 0.008,
        dlat: 0.005,
        seed,
        wiggles: 1,
    };
    let mut hoods = Vec::with_capacity(n);
    let mut comms = Vec::with_capacity(n * per);
    for k in 0..n as i64 {
        let (bx, by) = (k % nx, k / nx);
        let (i0, j0) = (bx * bw, by * bh);
        let mut total = 0;
        for c in 0..per as i64 {
            let (ci, cj) = (i0 + c % bw, j0 + c / bw);
            let pop = 500 + hash(seed, ci, cj, 7) % 8000;
            total += pop;
            comms.push(Block {
                id: format!("S{k:05}-{c:03}"),
                name: format!("Synthetic community {k}-{c}"),
                cells: (ci, ci + 1, cj, cj + 1),
                population: pop,
                extra: json!({}),
            });
        }
        hoods.push(Block {
            id: format!("S{k:05}"),
            name: format!("Synthetic neighbourhood {k}"),
            cells: (i0, i0 + bw, j0, j0 + bh),
            population: total,
            extra: json!({}),
        });
    }
    write_region(
        out,
        &lattice,
        "Synthetic national-scale region (benchmark data)",
        "Synthetic data generated by `feedmap demo --neighbourhoods`; not real places.",
        &hoods,
        &comms,
    )
}

fn write_region(
    out: &Path,
    lattice: &Lattice,
    name: &str,
    attribution: &str,
    neighbourhoods: &[Block],
    communities: &[Block],
) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    write_blocks(&out.join("neighbourhoods.geojson"), lattice, neighbourhoods)?;
    write_blocks(&out.join("communities.geojson"), lattice, communities)?;
    let manifest = format!(
        r#"# Generated by feedmap's demo generator; do not edit by hand.
name = {name:?}
attribution = {attribution:?}

[[layers]]
id = "neighbourhoods"
title = "Neighbourhoods"
role = "neighbourhood"
file = "neighbourhoods.geojson"
id_property = "code"
name_property = "name"
population_property = "population"

[[layers]]
id = "communities"
title = "Communities"
role = "community"
file = "communities.geojson"
id_property = "code"
name_property = "name"
population_property = "population"
"#
    );
    std::fs::write(out.join("region.toml"), manifest)
}

fn write_blocks(path: &Path, lattice: &Lattice, blocks: &[Block]) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "{{\"type\": \"FeatureCollection\", \"features\": [")?;
    for (k, b) in blocks.iter().enumerate() {
        let (i0, i1, j0, j1) = b.cells;
        let mut properties = json!({
            "code": b.id,
            "name": b.name,
            "population": b.population,
        });
        if let (Value::Object(p), Value::Object(extra)) = (&mut properties, &b.extra) {
            p.extend(extra.clone());
        }
        let feature = json!({
            "type": "Feature",
            "properties": properties,
            "geometry": {
                "type": "Polygon",
                "coordinates": [lattice.rect_ring(i0, i1, j0, j1)],
            }
        });
        let sep = if k + 1 < blocks.len() { "," } else { "" };
        writeln!(w, "{feature}{sep}")?;
    }
    writeln!(w, "]}}")?;
    w.flush()
}

/// The demo region shipped in the repository, served without a store:
/// for the domain's own tests.
#[cfg(test)]
pub(crate) fn served() -> crate::Served {
    crate::Served::without_store(
        crate::Source::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../boundaries/demo"
        )))
        .expect("the demo region loads"),
    )
}
