//! The book in `docs/` and the README are run, so docs that drift fail.
//!
//! - Every ```` ```sh ```` block of the planners' and integrators' guides
//!   (and the README's `feedmap` tour) is run by bash, in order, in a
//!   scratch folder per page holding a copy of `boundaries/demo`, with
//!   `feedmap` on the `PATH` being the binary under test: every command in
//!   it must succeed. A block holding `feedmap serve` holds that command
//!   alone; it is started (on a free port: `FEEDMAP_ADDR=127.0.0.1:0`, which
//!   the documented command leaves to its default) and must answer
//!   `/health`. A ```` ```sh,needs-data ```` block needs data the demo lacks
//!   (the reader's own region): each `feedmap` command in it is run as
//!   written, without that data, and must fail as feedmap fails on a
//!   missing input (exit 1, its own error) and not as clap refuses a command
//!   line (exit 2, usage) — so its subcommands, flags and flag values are
//!   held to the binary, though not what it would answer.
//! - Every `GET` shown in those guides and the README — a `curl` line
//!   without a body or another method, or a `GET /…` line in a code block —
//!   is requested from a demo server and must answer 2xx. The docs write
//!   the server as `http://127.0.0.1:8080` and a planner's token as
//!   `$FEEDMAP_TOKEN`; both are replaced by the test server's. Writes
//!   (`curl -X POST …`) are shown, not sent: `tests/openapi.rs` sends every
//!   documented operation its example.
//! - The endpoint list (`integrators/reference.md`) names exactly the
//!   routes of the server's own description, `/api`.
//! - Every relative link of the book and the README reaches its file and,
//!   where it names one, its heading; the README stays within 250 lines.
//!
//! The operators' guide is not run: its commands name a deployment's
//! paths, hosts and databases.

use crate::common;

use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Where the docs write the server.
const DOC_BASE: &str = "http://127.0.0.1:8080";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn book() -> PathBuf {
    repo().join("docs/src")
}

/// The pages whose examples are run: the planners' and integrators'
/// guides, then the README.
fn guide_pages() -> Vec<PathBuf> {
    let mut pages = Vec::new();
    for part in ["planners", "integrators"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(book().join(part))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no pages in docs/src/{part}");
        pages.extend(files);
    }
    pages.push(repo().join("README.md"));
    pages
}

/// Every Markdown file of the book, and the README.
fn all_pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "md") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&book(), &mut out);
    out.sort();
    out.push(repo().join("README.md"));
    out
}

fn show(path: &Path) -> String {
    path.strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A fenced code block.
struct Block {
    /// `file:line` of its opening fence.
    at: String,
    /// Its info string (`sh`, `sh,needs-data`, `toml`, …).
    info: String,
    /// Its text.
    text: String,
}

impl Block {
    /// The language: the info string up to the first comma or space.
    fn lang(&self) -> &str {
        self.info.split([',', ' ']).next().unwrap_or("")
    }

    /// Its commands: lines joined over trailing backslashes, without blank
    /// lines and whole-line comments.
    fn commands(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        for line in self.text.lines() {
            if let Some(head) = line.strip_suffix('\\') {
                cur.push_str(head);
                cur.push(' ');
                continue;
            }
            cur.push_str(line);
            let cmd = cur.trim().to_string();
            cur.clear();
            if !cmd.is_empty() && !cmd.starts_with('#') {
                out.push(cmd);
            }
        }
        assert!(cur.trim().is_empty(), "{}: a command ends in `\\`", self.at);
        out
    }
}

/// The fenced code blocks of a Markdown file.
fn blocks(path: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut open: Option<(usize, String, usize)> = None; // fence length, info, line
    let mut body = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let ticks = t.chars().take_while(|&c| c == '`').count();
        match &open {
            None if ticks >= 3 && !t[ticks..].contains('`') => {
                open = Some((ticks, t[ticks..].trim().to_string(), i + 1));
                body.clear();
            }
            Some((n, info, at)) if ticks >= *n && t[ticks..].trim().is_empty() => {
                out.push(Block {
                    at: format!("{}:{at}", show(path)),
                    info: info.clone(),
                    text: std::mem::take(&mut body),
                });
                open = None;
            }
            Some(_) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    assert!(
        open.is_none(),
        "{}: a code block is never closed",
        show(path)
    );
    out
}

/// Whether a command line runs feedmap (`feedmap …`, `target/release/feedmap …`).
fn is_feedmap(cmd: &str) -> bool {
    let first = cmd.split_whitespace().next().unwrap_or("");
    first == "feedmap" || first.ends_with("/feedmap")
}

fn is_curl(cmd: &str) -> bool {
    cmd.split_whitespace().next() == Some("curl")
}

/// A scratch folder laid out as the repository's root is for the docs: a
/// copy of `boundaries/demo`, and the binary under test as `bin/feedmap`
/// (on the `PATH`) and `target/release/feedmap` (as the README calls it).
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("boundaries/demo");
    std::fs::create_dir_all(&demo).unwrap();
    for e in std::fs::read_dir(common::demo_region()).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, demo.join(p.file_name().unwrap())).unwrap();
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_feedmap"));
    for place in ["bin", "target/release"] {
        std::fs::create_dir_all(dir.path().join(place)).unwrap();
        std::os::unix::fs::symlink(bin, dir.path().join(place).join("feedmap")).unwrap();
    }
    dir
}

/// bash running `script` in `dir`, with `bin/` first on the `PATH` and no
/// `FEEDMAP_*` variable from the environment.
fn bash(dir: &Path, script: &str) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(script).current_dir(dir);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("FEEDMAP_") {
            cmd.env_remove(k);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![dir.join("bin")];
    paths.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(paths).unwrap());
    cmd
}

/// A `feedmap serve` started from a docs block, killed on drop.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a documented `feedmap serve` in `dir` on a free port and checks
/// that it answers `/health`.
fn check_serve(block: &Block, cmd: &str, dir: &Path) {
    let mut child = bash(dir, &format!("exec {cmd}"))
        .env("FEEDMAP_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let _guard = Serving(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        for _ in lines {}
    });
    let line = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(Some(Ok(line))) => line,
        other => {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut err);
            panic!("{}: `{cmd}` did not start ({other:?}): {err}", block.at)
        }
    };
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let base = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{}: `{cmd}` printed {line:?}", block.at));
    let status = reqwest::blocking::get(format!("{base}/health"))
        .unwrap()
        .status();
    assert!(
        status.is_success(),
        "{}: `{cmd}`: /health answered {status}",
        block.at
    );
}

/// Runs the `feedmap …` commands of the planners' and integrators'
/// guides and of the README, as the module's comment says.
#[test]
fn guide_commands_run_on_the_demo() {
    let (mut ran, mut served, mut parsed) = (0, 0, 0);
    for page in guide_pages() {
        let dir = scratch();
        for block in blocks(&page) {
            assert!(
                !matches!(block.lang(), "bash" | "shell" | "console" | "shell-session"),
                "{}: write shell examples as ```sh (or ```sh,needs-data) so this test runs them",
                block.at
            );
            if block.lang() != "sh" {
                continue;
            }
            let cmds = block.commands();
            let feedmap: Vec<&String> = cmds.iter().filter(|c| is_feedmap(c)).collect();
            let curl = cmds.iter().any(|c| is_curl(c));
            if cmds.iter().any(|c| c.starts_with("cargo ")) {
                // Building and testing the project itself (the README's two
                // commands), not an example on the demo.
                continue;
            }
            assert!(
                !curl || feedmap.is_empty(),
                "{}: keep `curl` lines and `feedmap` commands in separate blocks",
                block.at
            );
            if curl {
                continue; // requested by `guide_gets_answer_2xx`
            }
            if block.info == "sh,needs-data" {
                assert!(!feedmap.is_empty(), "{}: no feedmap command", block.at);
                for cmd in feedmap {
                    let out = bash(dir.path(), &format!("set -o pipefail; {cmd}"))
                        .output()
                        .unwrap();
                    let err = String::from_utf8_lossy(&out.stderr);
                    assert_eq!(
                        out.status.code(),
                        Some(1),
                        "{}: `{cmd}` should fail for want of its data (exit 1), not {} (2 is a usage error); it said: {err}",
                        block.at,
                        out.status
                    );
                    assert!(
                        !err.contains("Usage:"),
                        "{}: `{cmd}` is not a valid command line: {err}",
                        block.at
                    );
                    parsed += 1;
                }
                continue;
            }
            assert_eq!(
                block.info, "sh",
                "{}: unknown code block kind (sh or sh,needs-data)",
                block.at
            );
            if feedmap
                .iter()
                .any(|c| c.split_whitespace().nth(1) == Some("serve"))
            {
                assert_eq!(
                    cmds.len(),
                    1,
                    "{}: a block with `feedmap serve` holds that command alone",
                    block.at
                );
                check_serve(&block, &cmds[0], dir.path());
                served += 1;
                continue;
            }
            let out = bash(dir.path(), &format!("set -euo pipefail\n{}", block.text))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: the block failed ({}):\n{}\n{}",
                block.at,
                out.status,
                block.text,
                String::from_utf8_lossy(&out.stderr)
            );
            ran += feedmap.len();
        }
    }
    eprintln!(
        "docs: {ran} feedmap commands run on the demo, {served} servers started, {parsed} command lines parsed"
    );
    assert!(
        ran > 0 && served > 0 && parsed > 0,
        "the guides lost their examples"
    );
}

/// The words of a shell command line, quotes removed and `$FEEDMAP_TOKEN`
/// expanded to `token`; stops at a comment.
fn shell_words(line: &str, token: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        '$' => cur.push_str(&variable(&mut chars, line, token)),
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.extend(chars.next());
            }
            '$' => {
                in_word = true;
                cur.push_str(&variable(&mut chars, line, token));
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// The value of the variable whose name follows a `$`: only
/// `FEEDMAP_TOKEN` is known, as `token`.
fn variable(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    line: &str,
    token: &str,
) -> String {
    let braced = chars.next_if_eq(&'{').is_some();
    let mut name = String::new();
    while let Some(c) = chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '_') {
        name.push(c);
    }
    if braced {
        assert_eq!(chars.next(), Some('}'), "{line}: unclosed ${{");
    }
    assert_eq!(
        name, "FEEDMAP_TOKEN",
        "{line}: only $FEEDMAP_TOKEN is known here"
    );
    token.to_string()
}

/// A documented GET: where it is shown, its path and headers.
struct Get {
    at: String,
    path: String,
    headers: Vec<(String, String)>,
}

/// The GETs shown in a page's code blocks; and how many writes it shows.
fn gets(page: &Path) -> (Vec<Get>, usize) {
    let (mut out, mut writes) = (Vec::new(), 0);
    for block in blocks(page) {
        for cmd in block.commands() {
            if let Some(path) = cmd.strip_prefix("GET /") {
                let path = format!("/{}", path.split_whitespace().next().unwrap_or(""));
                out.push(Get {
                    at: block.at.clone(),
                    path,
                    headers: vec![],
                });
                continue;
            }
            if !is_curl(&cmd) {
                continue;
            }
            let words = shell_words(&cmd, common::PLANNER);
            let (mut url, mut headers, mut write) = (None, vec![], false);
            let mut it = words.iter().skip(1);
            while let Some(w) = it.next() {
                match w.as_str() {
                    "-H" | "--header" => {
                        let h = it.next().unwrap();
                        let (k, v) = h
                            .split_once(':')
                            .unwrap_or_else(|| panic!("{}: header {h:?}", block.at));
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                    }
                    "-X" | "--request" => write |= it.next().unwrap() != "GET",
                    "-d" | "--data" | "--data-binary" | "--data-raw" | "--json" | "-F"
                    | "--form" | "-T" | "--upload-file" => {
                        write = true;
                        it.next();
                    }
                    w if w.starts_with("http") => {
                        assert!(url.is_none(), "{}: two URLs in `{cmd}`", block.at);
                        url = Some(w.to_string());
                    }
                    w if w.starts_with('-') => {}
                    w => panic!("{}: `{cmd}`: what is {w:?}?", block.at),
                }
            }
            let url = url.unwrap_or_else(|| panic!("{}: no URL in `{cmd}`", block.at));
            let path = url
                .strip_prefix(DOC_BASE)
                .unwrap_or_else(|| panic!("{}: `{cmd}`: the docs' server is {DOC_BASE}", block.at));
            if write {
                writes += 1;
            } else {
                out.push(Get {
                    at: block.at.clone(),
                    path: path.to_string(),
                    headers,
                });
            }
        }
    }
    (out, writes)
}

/// Requests every GET shown in the planners' and integrators' guides and
/// the README from a demo server (with a tokens file, for the reads that
/// need one), expecting 2xx.
#[test]
fn guide_gets_answer_2xx() {
    let tmp = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(tmp.path());
    let server = common::Server::start_with(
        &common::demo_region(),
        &["--tokens", tokens.to_str().unwrap()],
    );
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let (mut sent, mut shown_writes) = (0, 0);
    for page in guide_pages() {
        let (found, writes) = gets(&page);
        shown_writes += writes;
        for get in found {
            let mut req = client.get(format!("{}{}", server.base, get.path));
            for (k, v) in &get.headers {
                req = req.header(k, v);
            }
            let resp = req.send().unwrap();
            let status = resp.status();
            let body = resp.text().unwrap_or_default();
            assert!(
                status.is_success(),
                "{}: GET {} answered {status}: {}",
                get.at,
                get.path,
                body.chars().take(400).collect::<String>()
            );
            sent += 1;
        }
    }
    eprintln!("docs: {sent} GETs answered 2xx ({shown_writes} writes shown, not sent)");
    assert!(sent > 0, "the guides lost their GETs");
}

/// `GET /a/{x}/b.mvt?…` → ("GET", "/a/{}/b"): the method and the route,
/// placeholders unnamed.
fn route(method: &str, path: &str) -> (String, String) {
    let path = path.split(['?', '[']).next().unwrap();
    let mut out = String::new();
    let mut in_brace = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_brace = true;
                out.push_str("{}");
            }
            '}' => in_brace = false,
            c if !in_brace => out.push(c),
            _ => {}
        }
    }
    let out = out.strip_suffix(".mvt").unwrap_or(&out).to_string();
    (method.to_uppercase(), out)
}

/// The endpoint list and `/api` name the same routes.
#[test]
fn endpoint_list_is_the_api() {
    let page = book().join("integrators/reference.md");
    let text = std::fs::read_to_string(&page).unwrap();
    let mut documented = BTreeSet::new();
    for (i, span) in text.split('`').enumerate() {
        if i % 2 == 0 {
            continue; // outside a code span
        }
        let mut words = span.split_whitespace();
        if let (Some(m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE")), Some(p)) =
            (words.next(), words.next())
        {
            if p.starts_with('/') {
                documented.insert(route(m, p));
            }
        }
    }
    let server = common::Server::start(&common::demo_region());
    let (code, api) = server.get("/api");
    assert_eq!(code, 200);
    let mut served = BTreeSet::new();
    for (path, ops) in api["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                served.insert(route(method, path));
            }
        }
    }
    assert!(served.len() > 40, "/api lists {} operations", served.len());
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "docs/src/integrators/reference.md and /api differ:\n  in /api, not in the list: {undocumented:?}\n  in the list, not in /api: {unserved:?}"
    );
}

/// The anchor mdbook gives a heading.
fn heading_id(heading: &str) -> String {
    // Link targets are not part of a heading's text.
    let mut text = String::new();
    let mut rest = heading;
    while let Some(i) = rest.find("](") {
        text.push_str(&rest[..i]);
        rest = &rest[i..];
        rest = &rest[rest.find(')').map(|j| j + 1).unwrap_or(rest.len())..];
    }
    text.push_str(rest);
    text.trim()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code blocks).
fn anchors(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.insert(heading_id(line.trim_start_matches('#')));
        }
    }
    out
}

/// The targets of a Markdown file's inline links and images, with the
/// line they are on (code blocks and code spans left out).
fn links(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut in_code = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 1 {
                continue;
            }
            let mut rest = part;
            while let Some(i) = rest.find("](") {
                rest = &rest[i + 2..];
                let end = rest.find(')').unwrap_or(rest.len());
                out.push((n + 1, rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
    }
    out
}

/// Every relative link reaches its file and heading; every page is in the
/// book's summary.
#[test]
fn links_resolve() {
    let mut checked = 0;
    for page in all_pages() {
        for (line, target) in links(&page) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target.as_str(), None),
            };
            let dest = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            assert!(
                dest.is_file(),
                "{}:{line}: {target} is not a file",
                show(&page)
            );
            if let Some(a) = anchor {
                assert!(
                    anchors(&dest).contains(a),
                    "{}:{line}: {} has no heading #{a}",
                    show(&page),
                    show(&dest)
                );
            }
            checked += 1;
        }
    }
    let summary: BTreeSet<PathBuf> = links(&book().join("SUMMARY.md"))
        .into_iter()
        .map(|(_, t)| book().join(t))
        .collect();
    for page in all_pages() {
        if page.starts_with(book()) && !page.ends_with("SUMMARY.md") {
            assert!(
                summary.contains(&page),
                "{} is not in docs/src/SUMMARY.md",
                show(&page)
            );
        }
    }
    assert!(checked > 50, "only {checked} links found");
}

/// The README is the front door, not the manual.
#[test]
fn readme_is_short() {
    let lines = std::fs::read_to_string(repo().join("README.md"))
        .unwrap()
        .lines()
        .count();
    assert!(
        lines <= 250,
        "README.md has {lines} lines; move detail into the book (docs/src)"
    );
}
