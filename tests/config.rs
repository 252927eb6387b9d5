//! `feedmap serve` settings from flags, environment variables and a config
//! file, merged with flag > environment > file > default.

use crate::common;

use crate::common::Server;

fn items_page(server: &Server) -> usize {
    let (status, body) = server.get("/collections/communities/items");
    assert_eq!(status, 200, "{body}");
    body["numberReturned"].as_u64().unwrap() as usize
}

#[test]
fn a_config_file_sets_settings_and_flags_win_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("feedmap.toml");
    std::fs::write(
        &cfg,
        "default_limit = 7\nmax_limit = 20\nstore_poll = \"0s\"\n",
    )
    .unwrap();
    let server = Server::start_with(&common::demo_region(), &["--config", cfg.to_str().unwrap()]);
    assert_eq!(items_page(&server), 7);
    let (status, body) = server.get("/collections/communities/items?limit=1000");
    assert_eq!(status, 200);
    assert_eq!(body["numberReturned"], 20, "max_limit clamps");
    drop(server);
    let server = Server::start_with(
        &common::demo_region(),
        &["--config", cfg.to_str().unwrap(), "--default-limit", "3"],
    );
    assert_eq!(items_page(&server), 3, "the flag beats the file");
}

/// Runs `feedmap serve …`, which must refuse to start: a server that
/// starts after all is killed after 30 s so the test fails instead of
/// hanging.
fn refused(cmd: &mut std::process::Command) -> std::process::Output {
    let mut child = cmd
        .env_remove("FEEDMAP_CONFIG")
        .env_remove("FEEDMAP_STORE")
        .env_remove("FEEDMAP_TOKENS_FILE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("feedmap serve started instead of refusing its settings");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn environment_variables_stand_for_flags() {
    let out = refused(
        std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"))
            .args(["serve", "--addr", "127.0.0.1:0", "--region"])
            .arg(common::demo_region())
            .env("FEEDMAP_DEFAULT_LIMIT", "50000"),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--default-limit") && err.contains("50000"),
        "{err}"
    );
}

#[test]
fn unknown_keys_in_the_config_file_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("feedmap.toml");
    std::fs::write(&cfg, "addr = \"127.0.0.1:0\"\nmax_limitt = 20\n").unwrap();
    let out = refused(
        std::process::Command::new(env!("CARGO_BIN_EXE_feedmap")).args([
            "serve",
            "--config",
            cfg.to_str().unwrap(),
        ]),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("max_limitt") && err.contains("feedmap.toml"),
        "{err}"
    );
}
