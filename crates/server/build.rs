//! Build script: makes sure the planners' map can embed MapLibre GL JS.
//!
//! The library is installed from npm (`web/package.json`, lockfile
//! committed) into `web/node_modules`, never copied into the repository.
//! On a fresh machine the first build runs `npm ci` there, so the README's
//! one run command gives a working map. Without npm the binary is still
//! built, and the map's library asset answers 503 saying what to install.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(feedmap_no_map_assets)");
    println!("cargo::rerun-if-changed=../../web/package-lock.json");
    println!("cargo::rerun-if-env-changed=FEEDMAP_SKIP_NPM");
    let web = Path::new("../../web");
    let lib = web.join("node_modules/maplibre-gl/dist/maplibre-gl.js");
    println!("cargo::rerun-if-changed={}", lib.display());
    // The browser tests' axe-core and the base map's libraries too, so a
    // checkout from before they were added installs them.
    let later = [
        "node_modules/axe-core/axe.min.js",
        "node_modules/pmtiles/dist/pmtiles.js",
        "node_modules/@protomaps/basemaps/dist/basemaps.js",
    ];
    let incomplete = later.iter().any(|f| !web.join(f).exists());
    if (!lib.exists() || incomplete) && std::env::var_os("FEEDMAP_SKIP_NPM").is_none() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(web)
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => println!("cargo::warning=`npm ci` in web/ failed ({s}); the map will lack MapLibre"),
            Err(e) => println!("cargo::warning=cannot run npm ({e}); the map will lack MapLibre: install Node.js and npm"),
        }
    }
    if !lib.exists() || later[1..].iter().any(|f| !web.join(f).exists()) {
        println!("cargo::rustc-cfg=feedmap_no_map_assets");
    }
}
