//! The library's top-level modules form no import cycle: every
//! `crate::module` reference in `src/` (code and doc comments) points to a
//! module that does not, directly or through others, refer back. This
//! keeps the layering of `lib.rs` from rotting as modules grow.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Re-exports at the crate root, and the module each comes from.
const ROOT_EXPORTS: &[(&str, &str)] = &[
    ("LatLon", "lookup"),
    ("LayerHit", "lookup"),
    ("Manifest", "manifest"),
    ("Role", "manifest"),
    ("LoadOptions", "region"),
    ("Region", "region"),
    ("RegionError", "region"),
    ("Served", "served"),
    ("Source", "source"),
];

/// The top-level module a file under `src/` belongs to.
fn module_of(rel: &Path) -> String {
    let first = rel.components().next().unwrap().as_os_str();
    Path::new(first)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Code without `//` comments (doc comments mention modules freely).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::name` in `text`, mapped to a top-level module.
fn references(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if modules.contains(&name) {
            out.insert(name);
        } else if let Some((_, m)) = ROOT_EXPORTS.iter().find(|(n, _)| *n == name) {
            out.insert(m.to_string());
        } else if name.is_empty() && rest.starts_with('{') {
            // `use crate::{a, b::c}`: the names up to the closing brace.
            let group = &rest[1..rest.find('}').unwrap_or(rest.len())];
            for part in group.split(',') {
                let head = part.trim().split("::").next().unwrap_or("").trim();
                if modules.contains(head) {
                    out.insert(head.to_string());
                }
            }
        } else {
            panic!("crate::{name} names no module known to this test; add it to ROOT_EXPORTS");
        }
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}

/// A cycle in `graph`, if any, as the modules along it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(m) {
            Some(1) => {
                let at = path.iter().position(|p| p == m).unwrap();
                let mut c = path[at..].to_vec();
                c.push(m.to_string());
                return Some(c);
            }
            Some(_) => return None,
            None => {}
        }
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in graph.keys() {
        if let Some(c) = visit(m, graph, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(&src).unwrap()))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let m = module_of(f.strip_prefix(&src).unwrap());
        if m == "lib" || m == "main" {
            continue;
        }
        // Doc comments count: a link upwards is a reader's dependency too.
        let text = std::fs::read_to_string(f).unwrap();
        let refs = graph.entry(m.clone()).or_default();
        refs.extend(references(&text, &modules).into_iter().filter(|r| *r != m));
    }
    graph
}

#[test]
fn top_level_modules_form_no_import_cycle() {
    let graph = module_graph();
    assert!(graph.len() > 20, "found only {} modules", graph.len());
    if let Some(c) = cycle(&graph) {
        panic!("import cycle between top-level modules: {}", c.join(" → "));
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    g.get_mut("c").unwrap().clear();
    assert_eq!(cycle(&g), None);
    let modules: BTreeSet<String> = ["region", "feeds"].map(String::from).into();
    let refs = references(
        "use crate::{region::Region, feeds};\nlet p: crate::LatLon;",
        &modules,
    );
    assert_eq!(refs, ["feeds", "lookup", "region"].map(String::from).into());
}

/// The geography does not depend on live state: the region and everything
/// it is built from never refer to feeds, decisions, plans, the store or
/// what is served.
#[test]
fn the_geography_knows_nothing_of_live_state() {
    let graph = module_graph();
    let mut below = BTreeSet::new();
    let mut todo = vec!["region".to_string()];
    while let Some(m) = todo.pop() {
        if below.insert(m.clone()) {
            todo.extend(graph.get(&m).into_iter().flatten().cloned());
        }
    }
    for live in [
        "feeds", "decision", "plan", "store", "served", "follow", "source", "api",
    ] {
        assert!(
            !below.contains(live),
            "region depends on {live} (through {below:?})"
        );
    }
}

/// `plan/` is a pipeline whose `mod.rs` only orchestrates: no step imports
/// anything from it (`super::X` must name a sibling module), so the steps
/// depend on each other and on `model`, never on the orchestrator.
#[test]
fn plan_steps_import_nothing_from_the_orchestrator() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/plan");
    let siblings: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mod_rs = std::fs::read_to_string(dir.join("mod.rs")).unwrap();
    assert!(
        mod_rs.lines().count() < 250,
        "plan/mod.rs should only orchestrate"
    );
    for step in &siblings {
        if step == "mod" {
            continue;
        }
        let text = code(&std::fs::read_to_string(dir.join(format!("{step}.rs"))).unwrap());
        // Test modules may `use super::*` (their own file).
        let text = text.split("#[cfg(test)]").next().unwrap();
        let mut rest = text;
        while let Some(i) = rest.find("super::") {
            rest = &rest[i + "super::".len()..];
            let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
                group[..group.find('}').unwrap()]
                    .split(',')
                    .map(|p| p.trim().split("::").next().unwrap().trim().to_string())
                    .filter(|n| !n.is_empty())
                    .collect()
            } else {
                vec![rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect()]
            };
            for n in names {
                assert!(
                    siblings.contains(&n),
                    "plan/{step}.rs imports super::{n} from the orchestrator"
                );
            }
        }
    }
}
