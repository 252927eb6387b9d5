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

/// The pieces of configuration, through the server crate's public API
/// (tested here rather than inside the crate, so `cargo test` builds that
/// crate once).
mod pieces {
    use feedmap::auth::{TokenRole, Tokens};
    use feedmap::config::{ConfigError, ServeConfig, ServeSettings};
    use std::path::PathBuf;
    use std::time::Duration;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn tokens_check_and_refuse_clearly() {
        let f = write(
            "[[tokens]]\nname = \"planner-a\"\ntoken = \"0123456789abcdef-a\"\nrole = \"planner\"\n\n[[tokens]]\nname = \"viewer\"\ntoken = \"0123456789abcdef-r\"\nrole = \"reader\"\n",
        );
        let t = Tokens::load(f.path()).unwrap();
        assert_eq!(t.check("0123456789abcdef-a").unwrap().name, "planner-a");
        assert_eq!(
            t.check("0123456789abcdef-r").unwrap().role,
            TokenRole::Reader
        );
        assert!(t.check("0123456789abcdef-").is_none());
        assert!(t.check("").is_none());
        for (text, expect) in [
            ("[[tokens]]\nname = \"a\"\ntoken = \"short-secret\"\nrole = \"planner\"\n", "shorter than 16"),
            ("[[tokens]]\nname = \"a\"\ntoken = \"0123456789abcdef-secret\"\nrole = \"admin\"\n", "line 4"),
            ("[[tokens]]\nname = \"a\"\ntoken = \"0123456789abcdef-secret\"\nrole = \"planner\"\n[[tokens]]\nname = \"a\"\ntoken = \"0123456789abcdef-other\"\nrole = \"reader\"\n", "already used"),
            ("tokens = []\n", "no [[tokens]]"),
        ] {
            let e = Tokens::load(write(text).path()).unwrap_err().to_string();
            assert!(e.contains(expect), "{e}");
            assert!(!e.contains("secret"), "a token leaked into an error: {e}");
        }
    }

    fn origins(list: &[&str]) -> Result<ServeConfig, ConfigError> {
        ServeConfig::merge(
            ServeSettings {
                cors_origins: Some(list.iter().map(|o| o.to_string()).collect()),
                ..ServeSettings::default()
            },
            ServeSettings::default(),
        )
    }

    #[test]
    fn cors_origins_are_told_from_urls() {
        for good in [
            "https://www.example.police.uk",
            "http://127.0.0.1:8080",
            "http://[::1]:9000",
            "*",
        ] {
            assert!(origins(&[good]).is_ok(), "{good}");
        }
        for bad in [
            "www.example.police.uk",
            "https://x.example/",
            "https://x.example/page",
            "ftp://x",
            "https://",
            "https://x:port",
        ] {
            let e = origins(&[bad]).unwrap_err().to_string();
            assert!(
                e.contains("--cors-origins") && e.contains(bad),
                "{bad}: {e}"
            );
        }
        let e = origins(&[]).unwrap_err().to_string();
        assert!(e.contains("--cors-origins"), "{e}");
    }

    fn file(text: &str) -> Result<ServeSettings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feedmap.toml");
        std::fs::write(&path, text).unwrap();
        ServeSettings::load(&path).map(|mut f| {
            // Paths are made absolute from the file's folder.
            if let Some(r) = &f.region {
                assert!(r.starts_with(dir.path()), "{}", r.display());
                f.region = Some(r.strip_prefix(dir.path()).unwrap().to_path_buf());
            }
            f
        })
    }

    #[test]
    fn flags_beat_the_file_which_beats_the_defaults() {
        let f = file("region = \"r\"\nmax_limit = 500\ndefault_limit = 50\nstore_poll = \"250ms\"\nrepair = true\n").unwrap();
        let args = ServeSettings {
            default_limit: Some(20),
            ..ServeSettings::default()
        };
        let c = ServeConfig::merge(args, f).unwrap();
        assert_eq!(c.region, PathBuf::from("r"));
        assert_eq!((c.max_limit, c.default_limit), (500, 20));
        assert_eq!(c.store_poll, Duration::from_millis(250));
        assert!(c.repair);
        assert_eq!(c.write_max_bytes, ServeConfig::default().write_max_bytes);
        let none = ServeConfig::merge(ServeSettings::default(), ServeSettings::default()).unwrap();
        assert_eq!(none, ServeConfig::default());
    }

    /// The two kinds of base map are one setting: a flag for either
    /// replaces the file's, and both from one source are refused.
    #[test]
    fn one_base_map_a_flag_replacing_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feedmap.toml");
        std::fs::write(&path, "basemap = \"maps/force.pmtiles\"\n").unwrap();
        let f = ServeSettings::load(&path).unwrap();
        assert_eq!(f.basemap, Some(dir.path().join("maps/force.pmtiles")));
        let c = ServeConfig::merge(ServeSettings::default(), f.clone()).unwrap();
        assert_eq!(c.basemap, Some(dir.path().join("maps/force.pmtiles")));
        let style = ServeSettings {
            basemap_style: Some("https://tiles.example/style.json".into()),
            ..ServeSettings::default()
        };
        let c = ServeConfig::merge(style.clone(), f).unwrap();
        assert_eq!(
            (c.basemap, c.basemap_style_url.as_deref()),
            (None, Some("https://tiles.example/style.json"))
        );
        let both = ServeSettings {
            basemap: Some("force.pmtiles".into()),
            ..style
        };
        let e = ServeConfig::merge(both, ServeSettings::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("--basemap") && e.contains("not both"), "{e}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_by_name() {
        let e = file("max_limt = 5\n").unwrap_err().to_string();
        assert!(e.contains("max_limt") && e.contains("feedmap.toml"), "{e}");
        let e = file("store_poll = \"soon\"\n").unwrap_err().to_string();
        assert!(e.contains("soon") && e.contains("duration"), "{e}");
        let e = ServeConfig::merge(
            ServeSettings {
                default_limit: Some(20_000),
                ..ServeSettings::default()
            },
            ServeSettings::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("--default-limit") && e.contains("10000"), "{e}");
    }
}
