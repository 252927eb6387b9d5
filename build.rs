//! Build script of the root package: tells its tests what this machine
//! lacks ([`test_inputs`]). (The map's assets are the server crate's
//! build script's: it runs `npm ci` in `web/`.)

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    test_inputs();
}

/// What the end-to-end tests need from outside the repository, looked for
/// as the tests' own helpers look for it (`tests/common/mod.rs`,
/// `tests/browser.rs`, `tests/gdal.rs`). For each input missing here a cfg
/// is set, and every test that cannot run without it carries
/// `#[cfg_attr(that_cfg, ignore = "needs …")]`, so `cargo test` counts it
/// as ignored and says why, rather than as passed after an early return:
///
/// - `feedmap_no_gm_data`: no `trafford_postcodes.csv` in `$FEEDMAP_DATA`,
///   else in `../shared/data/gm` beside the repository;
/// - `feedmap_no_postgres`: `FEEDMAP_TEST_POSTGRES` is not set;
/// - `feedmap_no_browser`: `node --version` does not run, or no Chromium at
///   `$CHROMIUM` (else `/usr/bin/chromium`), or `web/node_modules` lacks
///   playwright-core or axe-core;
/// - `feedmap_no_gdal`: `ogrinfo --version` does not run.
///
/// Under `CI=true` none is set: CI runs every test, and the helpers fail
/// loudly on whatever is missing. The helpers' early return stays for a
/// test binary run outside cargo, or with `--ignored`.
fn test_inputs() {
    for cfg in [
        "feedmap_no_gm_data",
        "feedmap_no_postgres",
        "feedmap_no_browser",
        "feedmap_no_gdal",
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    for var in [
        "CI",
        "FEEDMAP_DATA",
        "FEEDMAP_TEST_POSTGRES",
        "PATH",
        "CHROMIUM",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    if env::var("CI").as_deref() == Ok("true") {
        return;
    }
    // Relative paths as the tests resolve them: cargo runs both this
    // script and the tests in the package's folder.
    let package = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let watch = Watch::new(&package);

    let shared = package.join("../shared");
    let (data, top) = match env::var_os("FEEDMAP_DATA") {
        Some(dir) => {
            let dir = package.join(dir);
            (dir.clone(), dir)
        }
        None => (shared.join("data/gm"), shared),
    };
    let postcodes = data.join("trafford_postcodes.csv");
    watch.path(&postcodes, &top);
    if !postcodes.is_file() {
        println!("cargo::rustc-cfg=feedmap_no_gm_data");
    }

    if env::var("FEEDMAP_TEST_POSTGRES").is_err() {
        println!("cargo::rustc-cfg=feedmap_no_postgres");
    }

    let node = runs("node", &package, &watch);
    let chromium = package.join(env::var_os("CHROMIUM").unwrap_or("/usr/bin/chromium".into()));
    watch.path(&chromium, chromium.parent().unwrap_or(&chromium));
    let web = package.join("web");
    let playwright = web.join("node_modules/playwright-core");
    let axe = web.join("node_modules/axe-core/axe.min.js");
    watch.path(&playwright.join("package.json"), &web);
    watch.path(&axe, &web);
    if !(node && chromium.is_file() && playwright.is_dir() && axe.is_file()) {
        println!("cargo::rustc-cfg=feedmap_no_browser");
    }

    if !runs("ogrinfo", &package, &watch) {
        println!("cargo::rustc-cfg=feedmap_no_gdal");
    }
}

/// Whether `program --version` runs, as the tests try it. Watches the
/// program where PATH finds it or, while PATH finds none, every folder of
/// PATH, where installing it would put it.
fn runs(program: &str, package: &Path, watch: &Watch) -> bool {
    let ok = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let dirs: Vec<PathBuf> = env::var_os("PATH")
        .map(|p| env::split_paths(&p).map(|d| package.join(d)).collect())
        .unwrap_or_default();
    match dirs.iter().map(|d| d.join(program)).find(|p| p.is_file()) {
        Some(found) => watch.path(&found, &found),
        None => {
            for dir in &dirs {
                watch.path(dir, dir);
            }
        }
    }
    ok
}

/// Tells cargo when to look for the tests' inputs again.
///
/// A path that exists is named to cargo (`rerun-if-changed`), which then
/// reruns this script only when its mtime changes or it goes away: with
/// everything present, a build costs a few `stat`s and reruns nothing.
///
/// A path that is missing is not named. Cargo counts a missing
/// `rerun-if-changed` path as changed on every build, and rerunning this
/// script recompiles the whole package (library, binary and every test
/// binary) every time: on any clone without the data, each `cargo test`
/// would rebuild everything. Instead the nearest folder above the path
/// that exists is named, since creating the path (or a folder on the way
/// to it) changes that folder's mtime. Cargo scans a named folder
/// recursively, so the search goes no higher than `top`: for the GM data,
/// `../shared` in the default layout (the shared folder, which holds data
/// and changes seldom) or the folder `$FEEDMAP_DATA` names; for a program,
/// its folder of PATH or Chromium's folder; for `web/node_modules`,
/// `web/`. And a folder holding this package or the target folder is
/// never named: every build writes there, so every build would rerun this
/// script. What that leaves unseen is the creation of `../shared` itself,
/// or of the folder `$FEEDMAP_DATA` names; for those, a test built only
/// with `feedmap_no_gm_data` (`tests/gm_postcodes.rs`) fails when the data
/// is there after all, saying to `touch build.rs`.
struct Watch {
    /// Canonical folders no watched folder may contain.
    keep_off: Vec<PathBuf>,
    /// What was named already (PATH often lists a folder twice, through
    /// a link such as `/bin`).
    named: std::cell::RefCell<Vec<PathBuf>>,
}

impl Watch {
    fn new(package: &Path) -> Watch {
        let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
        Watch {
            keep_off: [package, &out]
                .iter()
                .filter_map(|p| p.canonicalize().ok())
                .collect(),
            named: Default::default(),
        }
    }

    /// Reruns this script when `path` changes or goes, or while it is
    /// missing, when the nearest existing folder above it, no higher than
    /// `top`, changes.
    fn path(&self, path: &Path, top: &Path) {
        for at in path.ancestors() {
            if at.exists() {
                self.name(at);
                return;
            }
            if at == top || !at.starts_with(top) {
                return;
            }
        }
    }

    /// Names `path` as it is spelt (so that a link going away counts as
    /// a change), comparing where it leads.
    fn name(&self, path: &Path) {
        let Ok(real) = path.canonicalize() else {
            return;
        };
        if real.is_dir() && self.keep_off.iter().any(|k| k.starts_with(&real)) {
            return;
        }
        let mut named = self.named.borrow_mut();
        if !named.contains(&real) {
            println!("cargo::rerun-if-changed={}", path.display());
            named.push(real);
        }
    }
}
