//! Feed planning end to end: the demo's planning stories, metamorphic
//! properties, the real Greater Manchester data, and the command line and
//! HTTP surfaces.

use crate::common;

use feedmap::plan::{Plan, PlanParams};
use feedmap::{Served, Source};
use std::path::Path;

/// A copy of the demo region in a temporary folder, with `edit` applied to
/// each file's text (file name, text) → new text.
fn demo_copy(edit: impl Fn(&str, String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(common::demo_region()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(dir.path().join(&name), edit(&name, text)).unwrap();
    }
    dir
}

fn params(pairs: &[(&str, &str)]) -> PlanParams {
    PlanParams::from_pairs(pairs.iter().copied()).unwrap()
}

fn demo_plan(pairs: &[(&str, &str)]) -> Plan {
    let region = Served::without_store(Source::load(&common::demo_region()).unwrap());
    region.plan(&params(pairs)).unwrap()
}

fn hood<'a>(p: &'a Plan, name: &str) -> &'a feedmap::plan::NeighbourhoodPlan {
    p.neighbourhoods
        .iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("no neighbourhood {name}"))
}

/// Every suggestion's (neighbourhood, id, rank, score, chosen), the plan's
/// decisions without its figures.
fn decisions(p: &Plan) -> Vec<(String, String, usize, f64, bool)> {
    p.neighbourhoods
        .iter()
        .flat_map(|n| {
            n.suggestions
                .iter()
                .map(|s| (n.id.clone(), s.id.clone(), s.rank, s.score, s.chosen))
        })
        .collect()
}

#[test]
fn demo_distinct_communities_come_out_on_top_and_small_neighbourhoods_get_none() {
    let p = demo_plan(&[]);
    let names = |hood_name: &str| -> Vec<String> {
        hood(&p, hood_name)
            .suggestions
            .iter()
            .map(|s| s.name.clone())
            .collect()
    };
    let marlow = names("Marlow Fen");
    println!("Marlow Fen: {marlow:?}");
    assert_eq!(marlow[..2], ["Little Wexcombe", "Hobb's Cross Estate"]);
    let eastmere = names("Eastmere");
    println!("Eastmere: {eastmere:?}");
    assert_eq!(eastmere[0], "Ravensholt Estate");
    for small in [
        "Northby",
        "Quayside",
        "Saltings",
        "Brindle Heath",
        "Coldharbour Moor",
    ] {
        let n = hood(&p, small);
        assert!(!n.large, "{small} should not be large: {}", n.why);
        assert!(n.suggestions.is_empty(), "{small}: {:?}", n.suggestions);
    }
    // The distinct ones are separate by the factor built to find them.
    let wex = &hood(&p, "Marlow Fen").suggestions[0];
    assert_eq!(wex.factors.separation, 1.0, "{wex:?}");
    assert!(wex.reason.starts_with("Little Wexcombe: 3,400 residents, 100 % inside Marlow Fen, shares none of its boundary"), "{}", wex.reason);
    // Its feed is already planned: chosen without using the budget.
    assert_eq!(wex.planned_feeds, ["DV01-C06-X"]);
    assert!(wex.reason.contains("@LittleWexcombePolice"));
    // Communities with an active feed are not suggested, and say why.
    let market = hood(&p, "Marlow Fen")
        .not_suggested
        .iter()
        .find(|n| n.name == "Marlow Market")
        .unwrap();
    assert!(market.why.contains("@MarlowMarketPolice"), "{}", market.why);
    // Large neighbourhoods come first, ranked by need.
    assert!(p.neighbourhoods[0].large && p.neighbourhoods[0].need >= p.neighbourhoods[1].need);
}

#[test]
fn demo_small_adjacent_communities_share_a_cluster_feed() {
    let p = demo_plan(&[]);
    let marlow = hood(&p, "Marlow Fen");
    let cluster = marlow
        .suggestions
        .iter()
        .find(|s| s.kind == feedmap::plan::SuggestionKind::Cluster)
        .expect("a cluster in Marlow Fen");
    // Fenside (2,600) and Marlow Cross (1,300) are each under 3,000 and
    // border each other.
    assert_eq!(cluster.id, "DV01-C04+DV01-C05");
    assert_eq!(cluster.population, Some(3_900.0));
    assert!(
        cluster.reason.contains("each under 3,000 alone"),
        "{}",
        cluster.reason
    );
    // Off, they are listed as too small instead.
    let off = demo_plan(&[("clusters", "false")]);
    let marlow = hood(&off, "Marlow Fen");
    assert!(marlow.suggestions.iter().all(|s| s.members.is_empty()));
    let fenside = marlow
        .not_suggested
        .iter()
        .find(|n| n.name == "Fenside")
        .unwrap();
    assert!(
        fenside.why.contains("under min_population"),
        "{}",
        fenside.why
    );
}

#[test]
fn demo_budget_and_coverage() {
    let all = demo_plan(&[]);
    let two = demo_plan(&[("max_new_feeds", "2")]);
    let new_chosen: Vec<&feedmap::plan::Suggestion> = two
        .neighbourhoods
        .iter()
        .flat_map(|n| &n.suggestions)
        .filter(|s| s.chosen && s.planned_feeds.is_empty())
        .collect();
    assert_eq!(new_chosen.len(), 2);
    // The two new picks serve the most residents of all suggestions.
    let mut pops: Vec<f64> = all
        .neighbourhoods
        .iter()
        .flat_map(|n| &n.suggestions)
        .filter(|s| s.planned_feeds.is_empty())
        .map(|s| s.population.unwrap())
        .collect();
    pops.sort_by(|a, b| b.total_cmp(a));
    let got: f64 = new_chosen.iter().map(|s| s.population.unwrap()).sum();
    assert_eq!(got, pops[0] + pops[1]);
    // Coverage adds up: every resident is counted once, before and after,
    // and the plan moves residents to community feeds.
    for p in [&all, &two] {
        let c = p.summary.coverage;
        let total = |x: feedmap::plan::Coverage| x.community + x.neighbourhood_only + x.none;
        assert!((total(c.before) - total(c.after)).abs() <= 8.0, "{c:?}");
        assert!(
            (c.after.community - c.before.community - p.summary.newly_served).abs() <= 8.0,
            "{c:?} vs {}",
            p.summary.newly_served
        );
    }
    assert!(two.summary.newly_served < all.summary.newly_served);
    let per_hood = demo_plan(&[("max_new_feeds_per_neighbourhood", "1")]);
    for n in &per_hood.neighbourhoods {
        let new = n
            .suggestions
            .iter()
            .filter(|s| s.chosen && s.planned_feeds.is_empty())
            .count();
        assert!(new <= 1, "{}: {new}", n.name);
    }
}

#[test]
fn demo_plan_is_byte_for_byte_deterministic() {
    let a = serde_json::to_string(&demo_plan(&[])).unwrap();
    let b = serde_json::to_string(&demo_plan(&[])).unwrap();
    assert_eq!(a, b);
}

/// Metamorphic: an active feed for a suggested community removes it from
/// the next plan.
#[test]
fn an_active_feed_removes_its_community_from_the_plan() {
    let before = demo_plan(&[]);
    let hobbs = hood(&before, "Marlow Fen")
        .suggestions
        .iter()
        .find(|s| s.name == "Hobb's Cross Estate")
        .unwrap();
    let dir = demo_copy(|name, text| {
        if name == "feeds.csv" {
            format!("{text}DV01-C07-X,x,@HobbsCrossPolice,https://x.example/HobbsCrossPolice,communities,{},Hobb's Cross Police,active\n", hobbs.id)
        } else {
            text
        }
    });
    let region = Served::without_store(Source::load(dir.path()).unwrap());
    let after = region.plan(&PlanParams::default()).unwrap();
    let marlow = hood(&after, "Marlow Fen");
    assert!(marlow.suggestions.iter().all(|s| s.id != hobbs.id));
    let why = &marlow
        .not_suggested
        .iter()
        .find(|n| n.id == hobbs.id)
        .unwrap()
        .why;
    assert!(why.contains("@HobbsCrossPolice"), "{why}");
    // Its residents now count as served by a community feed.
    let (b, a) = (
        hood(&before, "Marlow Fen").coverage.unwrap().before,
        marlow.coverage.unwrap().before,
    );
    assert_eq!(a.community - b.community, 5_200.0);
}

/// Metamorphic: doubling every population together with the thresholds
/// that are counted in people gives the same plan.
#[test]
fn doubling_people_and_thresholds_gives_the_same_plan() {
    let dir = demo_copy(|name, text| {
        if !name.ends_with(".geojson") {
            return text;
        }
        let mut fc: serde_json::Value = serde_json::from_str(&text).unwrap();
        for f in fc["features"].as_array_mut().unwrap() {
            let p = &mut f["properties"]["population"];
            *p = serde_json::json!(p.as_f64().unwrap() * 2.0);
        }
        fc.to_string()
    });
    let region = Served::without_store(Source::load(dir.path()).unwrap());
    let doubled = region
        .plan(&params(&[
            ("min_population", "6000"),
            ("large_population", "40000"),
        ]))
        .unwrap();
    let plain = demo_plan(&[]);
    assert!(!decisions(&plain).is_empty());
    assert_eq!(decisions(&doubled), decisions(&plain));
    assert_eq!(
        doubled.summary.newly_served,
        2.0 * plain.summary.newly_served
    );
}

/// Metamorphic: renaming a community to a statistical code lowers its score.
#[test]
fn a_coded_name_lowers_the_score() {
    let dir = demo_copy(|name, text| {
        if name == "communities.geojson" {
            text.replace("\"Ravensholt Estate\"", "\"Eastmere 005A\"")
        } else {
            text
        }
    });
    let region = Served::without_store(Source::load(dir.path()).unwrap());
    // A low bar keeps it in the suggestions to compare.
    let coded = region.plan(&params(&[("min_score", "0")])).unwrap();
    let plain = demo_plan(&[("min_score", "0")]);
    let score = |p: &Plan, id: &str| {
        hood(p, "Eastmere")
            .suggestions
            .iter()
            .find(|s| s.id == id)
            .map(|s| (s.score, s.factors.identity, s.reason.clone()))
            .unwrap()
    };
    let (before, id_before, _) = score(&plain, "DV03-C19");
    let (after, id_after, reason) = score(&coded, "DV03-C19");
    assert_eq!((id_before, id_after), (1.0, 0.0));
    assert!(after < before, "{after} vs {before}");
    assert!(reason.contains("statistical code"), "{reason}");
}

#[test]
fn without_any_population_the_plan_runs_on_the_other_factors_and_says_so() {
    let dir = demo_copy(|name, text| {
        if name == "region.toml" {
            text.replace("population_property = \"population\"\n", "")
        } else {
            text
        }
    });
    let region = Served::without_store(Source::load(dir.path()).unwrap());
    // Without people, only area can make a neighbourhood large.
    let p = region.plan(&params(&[("large_area_km2", "50")])).unwrap();
    let warning = p.population.warning.as_deref().unwrap();
    assert!(warning.contains("population unknown"), "{warning}");
    assert!(!p.population.complete);
    let marlow = hood(&p, "Marlow Fen");
    assert!(marlow.large, "{}", marlow.why);
    assert!(!marlow.suggestions.is_empty());
    for s in &marlow.suggestions {
        assert_eq!(s.factors.size, None);
        assert_eq!(s.population, None);
        assert!(s.reason.contains("population unknown"), "{}", s.reason);
    }
    assert_eq!(marlow.suggestions[0].name, "Little Wexcombe");
}

#[test]
fn an_identity_property_overrides_the_name() {
    let dir = demo_copy(|name, text| {
        if name == "communities.geojson" {
            text.replace(
                "\"name\":\"Ravensholt Estate\"",
                "\"identity\":0.25,\"name\":\"Ravensholt Estate\"",
            )
        } else {
            text
        }
    });
    let region = Served::without_store(Source::load(dir.path()).unwrap());
    let p = region.plan(&params(&[("min_score", "0")])).unwrap();
    let s = hood(&p, "Eastmere")
        .suggestions
        .iter()
        .find(|s| s.id == "DV03-C19")
        .unwrap();
    assert_eq!(s.factors.identity, 0.25);
    let bad = demo_copy(|name, text| {
        if name == "communities.geojson" {
            text.replace(
                "\"name\":\"Ravensholt Estate\"",
                "\"identity\":\"very\",\"name\":\"Ravensholt Estate\"",
            )
        } else {
            text
        }
    });
    let err = Source::load(bad.path()).unwrap_err().to_string();
    assert!(
        err.contains("identity") && err.contains("DV03-C19"),
        "{err}"
    );
}

fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn plan_command_formats_and_bad_parameters() {
    let region = common::demo_region();
    let region = region.to_str().unwrap();
    let out = run(&["plan", "--region", region, "--param", "max_new_feeds=3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["params"]["max_new_feeds"], 3);
    let out = run(&["plan", "--region", region, "--format", "csv"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rows.headers().unwrap().iter().collect::<Vec<_>>(),
        feedmap::plan::export::CSV_COLUMNS
    );
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), demo_plan(&[]).summary.suggestions);
    assert!(records.iter().any(|r| &r[5] == "Little Wexcombe"));
    let out = run(&["plan", "--region", region, "--format", "geojson"]);
    assert!(out.status.success());
    let fc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), records.len());
    for (args, says) in [
        (vec!["--param", "min_population=-5"], "min_population"),
        (vec!["--param", "min_containment=2"], "from 0 to 1"),
        (vec!["--param", "nonsense=1"], "unknown plan parameter"),
        (vec!["--param", "min_score"], "name=value"),
        (
            vec!["--param", "community_layer=neighbourhoods"],
            "not a community layer",
        ),
    ] {
        let mut all = vec!["plan", "--region", region];
        all.extend(args.iter().copied());
        let out = run(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn plan_over_http() {
    let server = common::Server::start(&common::demo_region());
    let (status, mut p) = server.get("/v1/plan?min_population=2500&max_new_feeds=4");
    assert_eq!(status, 200, "{p}");
    // The server states the store generation it planned from; the library
    // plan, made without a store, has none.
    let generation = p.as_object_mut().unwrap().remove("generation");
    assert!(generation.is_some_and(|g| g.is_i64()), "{p}");
    assert_eq!(p["params"]["min_population"], 2500.0);
    assert_eq!(
        p["summary"]["chosen"].as_u64().unwrap(),
        5,
        "{}",
        p["summary"]
    ); // 4 new + 1 planned
       // Same parameters, same bytes as the library.
    let lib = serde_json::to_value(demo_plan(&[
        ("min_population", "2500"),
        ("max_new_feeds", "4"),
    ]))
    .unwrap();
    assert_eq!(p, lib);
    let (status, ct, fc) = server.get_with_type("/v1/plan.geojson?max_new_feeds=4");
    assert_eq!(status, 200);
    assert_eq!(ct, "application/geo+json");
    let features = fc["features"].as_array().unwrap();
    assert!(!features.is_empty());
    // A cluster is one dissolved geometry with about its members' area.
    let cluster = features
        .iter()
        .find(|f| f["properties"]["kind"] == "cluster")
        .unwrap();
    assert_eq!(cluster["geometry"]["type"], "MultiPolygon");
    let polys = cluster["geometry"]["coordinates"].as_array().unwrap();
    assert_eq!(polys.len(), 1, "adjacent members dissolve into one polygon");
    // The API definition documents every plan parameter.
    let (_, api) = server.get("/api");
    let documented: Vec<&str> = api["paths"]["/v1/plan"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let all: Vec<&str> = feedmap::plan::params::PARAMS
        .iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(documented, all);
    let resp = reqwest::blocking::get(format!("{}/v1/plan.csv", server.base)).unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(resp.text().unwrap().starts_with("neighbourhood_id,"));
    for (path, says) in [
        ("/v1/plan?min_score=7", "min_score"),
        ("/v1/plan.csv?weight_size=-1", "weight_size"),
        ("/v1/plan.geojson?max_new_feeds=1.5", "whole number"),
        ("/v1/plan?foo=1", "unknown plan parameter"),
        ("/v1/plan?neighbourhood_layer=nope", "neighbourhood_layer"),
        ("/v1/plan?min_score=0.1&min_score=0.2", "more than once"),
    ] {
        let resp = reqwest::blocking::get(format!("{}{path}", server.base)).unwrap();
        assert_eq!(resp.status(), 400, "{path}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let body: serde_json::Value = resp.json().unwrap();
        assert!(
            body["detail"].as_str().unwrap().contains(says),
            "{path}: {body}"
        );
    }
}

/// The real-data acceptance checks for one plan: it runs, every suggestion
/// lies at least `min_containment` inside its neighbourhood, each
/// neighbourhood's communities sum to its population within 2 %, and a
/// second load and plan give the same bytes.
/// `source_total` is the population the estimates were made from: no
/// figure may be negative and together they may not exceed it.
fn check_real_plan(
    dir: &Path,
    expect_hoods: usize,
    expect_communities: usize,
    source_total: f64,
) -> Plan {
    let started = std::time::Instant::now();
    let served = Served::without_store(Source::load(dir).unwrap_or_else(|e| panic!("{e}")));
    let loaded = started.elapsed();
    let p = served.plan(&PlanParams::default()).unwrap();
    let region = served.region();
    println!(
        "{}: load {:.0} ms, plan {:.1} ms; {} suggestions, {} chosen; population {:?}",
        p.region,
        loaded.as_secs_f64() * 1e3,
        (started.elapsed() - loaded).as_secs_f64() * 1e3,
        p.summary.suggestions,
        p.summary.chosen,
        p.population
    );
    assert_eq!(p.neighbourhoods.len(), expect_hoods);
    assert_eq!(
        p.neighbourhoods
            .iter()
            .map(|n| n.communities)
            .sum::<usize>(),
        expect_communities
    );
    assert!(p.population.complete, "{:?}", p.population);
    assert!(p.summary.suggestions > 0);
    let hood_total: f64 = p.neighbourhoods.iter().map(|n| n.population.unwrap()).sum();
    println!("  neighbourhoods hold {hood_total} of {source_total} residents");
    assert!(hood_total <= source_total + 1.0 && hood_total > 0.9 * source_total);
    for n in &p.neighbourhoods {
        assert!(
            n.population.unwrap() > 0.0,
            "{}: {:?}",
            n.name,
            n.population
        );
    }
    let (hl, _) = region.layer(&p.neighbourhood_layer).unwrap();
    let (cl, comms) = region.layer(&p.community_layer).unwrap();
    for n in &p.neighbourhoods {
        let h = region.layers[hl].area_index(&n.id).unwrap();
        for s in &n.suggestions {
            assert!(s.factors.containment >= 0.6, "{}: {s:?}", n.name);
            // A settlement (found from the census areas) is no community:
            // its containment is checked above.
            if s.kind == feedmap::plan::SuggestionKind::Settlement {
                continue;
            }
            let ids: Vec<&str> = if s.members.is_empty() {
                vec![s.id.as_str()]
            } else {
                s.members.iter().map(|m| m.id.as_str()).collect()
            };
            // Check containment against the relations, independently of the
            // plan's own figure.
            for id in ids {
                let c = comms.area_index(id).unwrap();
                let share = region
                    .relations
                    .parents_of(cl, c)
                    .iter()
                    .find(|r| r.parent_layer == hl && r.parent_area == h)
                    .map_or(0.0, |r| r.share_of_child);
                assert!(share >= 0.6, "{id} only {share} inside {}", n.name);
            }
        }
        let (pop, sum) = (n.population.unwrap(), n.communities_population.unwrap());
        let diff = (sum - pop).abs() / pop;
        println!(
            "  {:<12} {:>8} residents, communities {:>8} ({:.2} %), {} suggestions: {}",
            n.name,
            pop,
            sum,
            diff * 100.0,
            n.suggestions.len(),
            n.suggestions
                .iter()
                .map(|s| format!("{} {:.2}", s.name, s.score))
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert!(diff <= 0.02, "{}: {sum} vs {pop}", n.name);
    }
    let again = Served::without_store(Source::load(dir).unwrap())
        .plan(&PlanParams::default())
        .unwrap();
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        serde_json::to_string(&again).unwrap(),
        "two loads and plans differ"
    );
    p
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn trafford_localities_and_wards_with_output_area_population() {
    let Some(data) = common::gm_data("trafford_localities_and_wards_with_output_area_population")
    else {
        return;
    };
    let dir = common::region_dir(&format!(
        "name = \"Trafford (test)\"\n{}{}",
        common::trafford_layers_toml(&data),
        common::population_layer_toml(&data, "oas", "trafford_oa_2021.geojson", 300),
    ));
    let p = check_real_plan(dir.path(), 4, 21, 738.0 * 300.0);
    // Partington's ward is the outlier of Trafford West; Partington itself,
    // found from the output areas (all of 300 here, so the dense ones are
    // the small ones), ranks above it, named after its ward.
    let west = hood(&p, "West");
    let kinds: Vec<(&str, feedmap::plan::SuggestionKind)> = west
        .suggestions
        .iter()
        .map(|s| (s.name.as_str(), s.kind))
        .collect();
    use feedmap::plan::SuggestionKind::{Community, Settlement};
    assert_eq!(
        kinds[..2],
        [
            ("Bucklow-St Martins", Settlement),
            ("Bucklow-St Martins", Community)
        ],
        "{:?}",
        west.suggestions
    );
    assert_eq!(
        west.suggestions[1].population_provenance,
        Some(feedmap::plan::population::Provenance::ArealWeighted)
    );
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn trafford_with_postcode_count_population() {
    let Some(data) = common::gm_data("trafford_with_postcode_count_population") else {
        return;
    };
    // About 235,000 residents in 11,264 postcodes: 21 per postcode.
    let dir = common::region_dir(&format!(
        "name = \"Trafford (test)\"\n{}[population_points]\nfile = \"{}\"\npeople_per_count = 21\n",
        common::trafford_layers_toml(&data),
        data.join("trafford_postcodes.csv").display(),
    ));
    let p = check_real_plan(dir.path(), 4, 21, 11_264.0 * 21.0);
    assert_eq!(
        p.population.estimated_from.as_deref(),
        Some("population points")
    );
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn gm_boroughs_and_wards_with_lsoa_population() {
    let Some(data) = common::gm_data("gm_boroughs_and_wards_with_lsoa_population") else {
        return;
    };
    let dir = common::region_dir(&common::gm_boroughs_manifest(&data));
    let p = check_real_plan(dir.path(), 10, 215, 1_702.0 * 1_700.0);
    // The default plan is a shortlist: at most three new feeds a
    // borough, the rest listed as further candidates, each saying so.
    let short = p
        .shortlist
        .as_ref()
        .expect("the default plan is a shortlist");
    assert_eq!(short.max_new_feeds_per_neighbourhood, Some(3));
    for n in &p.neighbourhoods {
        assert!(
            n.suggestions.iter().filter(|s| s.chosen).count() <= 3,
            "{}",
            n.name
        );
    }
    let further: Vec<_> = p
        .neighbourhoods
        .iter()
        .flat_map(|n| &n.suggestions)
        .filter(|s| !s.chosen && s.alternative_to.is_none())
        .collect();
    assert_eq!(short.further_candidates, further.len());
    assert!(further.iter().all(|s| s.reason.contains("A further candidate, not shortlisted: its neighbourhood's 3 new feeds (max_new_feeds_per_neighbourhood=3)")));
    assert!(
        short.note.contains("max_new_feeds_per_neighbourhood=none"),
        "{}",
        short.note
    );
    // The full ranking is one parameter away: the same suggestions, more chosen.
    let served = Served::without_store(Source::load(dir.path()).unwrap());
    let all = served
        .plan(&PlanParams::from_pairs([("max_new_feeds_per_neighbourhood", "none")]).unwrap())
        .unwrap();
    assert!(all.shortlist.is_none());
    assert_eq!(all.summary.suggestions, p.summary.suggestions);
    assert!(all.summary.chosen > p.summary.chosen);
    println!(
        "GM boroughs × wards: shortlist {} chosen of {} suggestions ({} further candidates); full ranking {} chosen",
        p.summary.chosen, p.summary.suggestions, short.further_candidates, all.summary.chosen
    );
}

/// A score that missed its threshold is printed with the decimals it takes
/// to tell the two apart (never "0.75 is below min_score 0.75").
#[test]
fn thresholds_print_at_the_precision_they_compare() {
    use feedmap::plan::explain::score_below;
    assert_eq!(
        score_below(0.7496, 0.75),
        ("0.7496".into(), "0.7500".into())
    );
    assert_eq!(score_below(0.61, 0.75), ("0.61".into(), "0.75".into()));
    assert_eq!(score_below(0.749_999_9, 0.75).0.len(), 8);
}
