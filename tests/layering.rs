//! The house keeps its floors. Two checks, one for each scale:
//!
//! - **Crates**: `cargo metadata` gives the workspace's dependency graph,
//!   and the rules of `src/lib.rs` are held against it — the geography
//!   knows no live state, the store no domain rule, only the server knows
//!   HTTP, the root package holds the command line alone. Cargo itself
//!   refuses a cycle between crates; these rules fix the direction.
//! - **Files**: inside every crate, the files of one folder never import
//!   each other in a circle (`crate::…`, `super::…` and `self::…` paths,
//!   brace groups and doc comments included; unit tests may reach
//!   anywhere).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The workspace's packages, with their normal (non-dev, non-build)
/// dependencies by package name, resolved from `Cargo.lock`.
struct Workspace {
    members: BTreeSet<String>,
    deps: BTreeMap<String, BTreeSet<String>>,
}

fn workspace() -> Workspace {
    // This machine's platform only: the lock file also names packages for
    // others (Windows, wasm), which an offline machine has not downloaded.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("running rustc -vV");
    let version = String::from_utf8(version.stdout).unwrap();
    let host = version
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", host])
        .current_dir(ROOT)
        .output()
        .expect("running cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let name_of: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let members = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| name_of[id.as_str().unwrap()].to_string())
        .collect();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().unwrap() {
        let from = name_of[node["id"].as_str().unwrap()].to_string();
        let entry = deps.entry(from).or_default();
        for d in node["deps"].as_array().unwrap() {
            let normal = d["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            if normal {
                entry.insert(name_of[d["pkg"].as_str().unwrap()].to_string());
            }
        }
    }
    Workspace { members, deps }
}

impl Workspace {
    /// Everything `package` depends on, directly or through others.
    fn below(&self, package: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = vec![package];
        while let Some(p) = todo.pop() {
            for d in self.deps.get(p).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    todo.push(d);
                }
            }
        }
        seen
    }

    /// The rules; each broken one as a sentence.
    fn broken_rules(&self) -> Vec<String> {
        let mut broken = Vec::new();
        let own = |p: &str| -> BTreeSet<String> {
            self.deps[p]
                .iter()
                .filter(|d| self.members.contains(*d))
                .cloned()
                .collect()
        };
        // Which of the workspace's crates each may use (directly).
        let allowed: &[(&str, &[&str])] = &[
            ("feedmap-geography", &[]),
            ("feedmap-store", &[]),
            ("feedmap-domain", &["feedmap-geography", "feedmap-store"]),
            (
                "feedmap-server",
                &["feedmap-geography", "feedmap-store", "feedmap-domain"],
            ),
            (
                "feedmap",
                &[
                    "feedmap-geography",
                    "feedmap-store",
                    "feedmap-domain",
                    "feedmap-server",
                ],
            ),
        ];
        let named: BTreeSet<String> = allowed.iter().map(|(p, _)| p.to_string()).collect();
        if named != self.members {
            broken.push(format!(
                "the workspace's members {:?} are not the layers this test knows {:?}",
                self.members, named
            ));
            return broken;
        }
        for (p, ok) in allowed {
            for d in own(p) {
                if !ok.contains(&d.as_str()) {
                    broken.push(format!("{p} depends on {d}"));
                }
            }
        }
        // HTTP is the server's alone: nothing below it reaches an HTTP
        // crate, even through another dependency.
        let http = [
            "axum",
            "hyper",
            "hyper-util",
            "tower",
            "tower-http",
            "reqwest",
        ];
        for p in ["feedmap-geography", "feedmap-store", "feedmap-domain"] {
            for d in self.below(p) {
                if http.contains(&d.as_str()) {
                    broken.push(format!("{p} reaches the HTTP crate {d}"));
                }
            }
        }
        // The geography knows no live state: no database, no async runtime.
        for d in self.below("feedmap-geography") {
            if ["rusqlite", "postgres", "tokio"].contains(&d.as_str()) {
                broken.push(format!("feedmap-geography reaches {d}"));
            }
        }
        // Databases are the store's: the domain reads them only through it.
        for p in ["feedmap-geography", "feedmap-domain", "feedmap-server"] {
            for d in &self.deps[p] {
                if ["rusqlite", "postgres"].contains(&d.as_str()) {
                    broken.push(format!("{p} uses the database crate {d} directly"));
                }
            }
        }
        // Command-line parsing is the binary's (and the server's typed
        // configuration, which flags feed).
        for p in ["feedmap-geography", "feedmap-store", "feedmap-domain"] {
            if self.deps[p].contains("clap") {
                broken.push(format!("{p} uses clap"));
            }
        }
        broken
    }
}

#[test]
fn the_crate_graph_holds_the_layers() {
    let ws = workspace();
    let broken = ws.broken_rules();
    assert!(
        broken.is_empty(),
        "the crate graph breaks the layering:\n{}",
        broken.join("\n")
    );
}

/// The rules catch an edge they forbid: the real graph with one
/// forbidden dependency added (the geography on axum, the store on the
/// domain) is refused, naming it.
#[test]
fn a_forbidden_edge_is_caught() {
    let mut ws = workspace();
    ws.deps
        .get_mut("feedmap-geography")
        .unwrap()
        .insert("axum".into());
    ws.deps
        .get_mut("feedmap-store")
        .unwrap()
        .insert("feedmap-domain".into());
    let broken = ws.broken_rules();
    assert!(
        broken.contains(&"feedmap-store depends on feedmap-domain".to_string()),
        "{broken:?}"
    );
    assert!(
        broken.contains(&"feedmap-geography reaches the HTTP crate axum".to_string()),
        "{broken:?}"
    );
}

/// The root package holds the command line: `src/` is `main.rs` and a
/// `lib.rs` that only re-exports the crates for tests and benches.
#[test]
fn the_root_package_holds_no_logic() {
    let src = Path::new(ROOT).join("src");
    let mut names: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["lib.rs", "main.rs"],
        "src/ holds more than the binary"
    );
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut in_use = false;
    for line in code(&lib).lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with("#![") {
            continue;
        }
        if line.starts_with("pub use ") {
            in_use = !line.ends_with(';');
            continue;
        }
        assert!(in_use, "src/lib.rs holds more than re-exports: {line:?}");
        in_use = !line.ends_with(';');
    }
}

/// Code without `//` comments.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}

/// The module path of a file below a crate's `src/` (`plan/model.rs` →
/// `[plan, model]`; `plan/mod.rs` → `[plan]`; `lib.rs` → `[]`).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// Every path in `text` that starts with `crate`, `super` or `self`, made
/// absolute from the module `here`; a brace group gives one path per
/// member (`use super::{a, b::{c, d}}` → `a`, `b::c`, `b::d`).
fn paths(text: &str, here: &[String]) -> Vec<Vec<String>> {
    fn ident(s: &str) -> usize {
        s.find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    }
    /// The members of a group starting just after `{`: (paths, bytes read).
    fn group(s: &str) -> (Vec<Vec<String>>, usize) {
        let mut out = Vec::new();
        let mut i = 0;
        let mut cur: Vec<String> = Vec::new();
        while i < s.len() {
            let rest = &s[i..];
            let c = rest.chars().next().unwrap();
            if c == '}' {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                return (out, i + 1);
            } else if c == ',' {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                i += 1;
            } else if c == '{' {
                let (inner, n) = group(&rest[1..]);
                for p in inner {
                    let mut full = cur.clone();
                    full.extend(p);
                    out.push(full);
                }
                cur.clear();
                i += 1 + n;
            } else if c.is_alphanumeric() || c == '_' {
                let n = ident(rest);
                let word = &rest[..n];
                if word == "as" {
                    // `x as y`: `y` is a new name, not part of the path.
                    let after = rest[n..].trim_start();
                    i += rest.len() - after.len() + ident(after);
                    continue;
                }
                if !(cur.is_empty() && word == "self") {
                    cur.push(word.to_string());
                }
                i += n;
            } else {
                i += c.len_utf8();
            }
        }
        (out, s.len())
    }
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find(['c', 's']) {
        let i = at + found;
        at = i + 1;
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &text[i..];
        let start: Vec<String> = if rest.starts_with("crate::") {
            Vec::new()
        } else if rest.starts_with("super::") || rest.starts_with("self::") {
            here.to_vec()
        } else {
            continue;
        };
        let mut base = start;
        let mut j = 0;
        let mut members = Vec::new();
        loop {
            let r = &rest[j..];
            let n = ident(r);
            let word = &r[..n];
            match word {
                "crate" | "self" => {}
                "super" => {
                    base.pop();
                }
                _ if n > 0 => base.push(word.to_string()),
                _ => {}
            }
            j += n;
            if rest[j..].starts_with("::{") {
                let (g, _) = group(&rest[j + 3..]);
                members = g;
                break;
            } else if rest[j..].starts_with("::") {
                j += 2;
            } else {
                break;
            }
        }
        if members.is_empty() {
            out.push(base);
        } else {
            for m in members {
                let mut full = base.clone();
                full.extend(m);
                out.push(full);
            }
        }
    }
    out
}

/// For one crate: per folder (a module path), the imports between its
/// children (file or folder modules).
fn folder_graphs(src: &Path) -> BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> {
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let me = module_path(f.strip_prefix(src).unwrap());
        let text = std::fs::read_to_string(f).unwrap();
        // Doc comments count: a link to a module is a reader's dependency
        // too. Plain `//` comments do not.
        let text: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap()
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("///") || l.trim_start().starts_with("//!") {
                    l
                } else {
                    l.split("//").next().unwrap()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        // A file that is a folder's `mod.rs` resolves `super` from the
        // folder's module; a plain file from its own.
        for target in paths(&text, &me) {
            // The deepest folder holding both `me` and `target`, and the
            // child of it on each side.
            let common = me.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common < me.len() && common < target.len() {
                let folder = me[..common].to_vec();
                graphs
                    .entry(folder)
                    .or_default()
                    .entry(me[common].clone())
                    .or_default()
                    .insert(target[common].clone());
            }
        }
    }
    graphs
}

/// A cycle in `graph`, if any, as the names along it.
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

#[test]
fn no_folder_has_an_import_cycle() {
    let mut cycles = Vec::new();
    let mut edges = 0;
    let crates = Path::new(ROOT).join("crates");
    for e in std::fs::read_dir(&crates).unwrap() {
        let src = e.unwrap().path().join("src");
        for (folder, graph) in folder_graphs(&src) {
            edges += graph.values().map(BTreeSet::len).sum::<usize>();
            if let Some(c) = cycle(&graph) {
                cycles.push(format!(
                    "{}/{}: {}",
                    src.strip_prefix(ROOT).unwrap().display(),
                    folder.join("/"),
                    c.join(" → ")
                ));
            }
        }
    }
    assert!(
        edges > 200,
        "found only {edges} imports: is the parser blind?"
    );
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
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
    let here: Vec<String> = ["plan", "settle"].map(String::from).into();
    let found = paths(
        "use super::{model::{Inputs, Member}, sites::WHOLLY as W};\nlet x = crate::feeds::Feed::new(); self::y();",
        &here,
    );
    let s = |p: &[&str]| p.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        found,
        [
            s(&["plan", "model", "Inputs"]),
            s(&["plan", "model", "Member"]),
            s(&["plan", "sites", "WHOLLY"]),
            s(&["feeds", "Feed", "new"]),
            s(&["plan", "settle", "y"]),
        ]
    );
    // Files that import each other in a folder make a cycle there.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("plan")).unwrap();
    std::fs::write(dir.path().join("lib.rs"), "pub mod plan;").unwrap();
    std::fs::write(dir.path().join("plan/mod.rs"), "mod a; mod b;").unwrap();
    std::fs::write(dir.path().join("plan/a.rs"), "use super::b::X;").unwrap();
    std::fs::write(dir.path().join("plan/b.rs"), "use crate::plan::{a::Y};").unwrap();
    let graphs = folder_graphs(dir.path());
    assert_eq!(
        cycle(&graphs[&vec!["plan".to_string()]]).unwrap(),
        ["a", "b", "a"]
    );
}

/// `plan/` is a pipeline whose `mod.rs` only orchestrates: no step imports
/// anything from it (`super::X` must name a sibling module), so the steps
/// depend on each other and on `model`, never on the orchestrator.
#[test]
fn plan_steps_import_nothing_from_the_orchestrator() {
    let dir = Path::new(ROOT).join("crates/domain/src/plan");
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
    let here = |step: &str| vec!["plan".to_string(), step.to_string()];
    for step in &siblings {
        if step == "mod" {
            continue;
        }
        let text = code(&std::fs::read_to_string(dir.join(format!("{step}.rs"))).unwrap());
        // Test modules may `use super::*` (their own file).
        let text = text.split("#[cfg(test)]").next().unwrap();
        for p in paths(text, &here(step)) {
            if p.len() >= 2 && p[0] == "plan" {
                assert!(
                    siblings.contains(&p[1]),
                    "plan/{step}.rs imports {} from the orchestrator",
                    p.join("::")
                );
            }
        }
    }
}
