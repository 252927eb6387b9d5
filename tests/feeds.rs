//! Acceptance for feeds and address lookup: real Trafford postcodes, place
//! search, the streaming batch endpoint, and every bad input, over HTTP.

use crate::common;

use crate::common::Server;
use feedmap::validate::ProblemKind;
use feedmap::{RegionError, Source};
use serde_json::Value;
use std::io::{BufRead, Read};

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn every_trafford_postcode_resolves_to_its_ons_ward() {
    let Some(data) = common::gm_data("every_trafford_postcode_resolves_to_its_ons_ward") else {
        return;
    };
    let dir = common::gm_feeds_region(&data);
    let server = Server::start(dir.path());
    let client = reqwest::blocking::Client::new();
    let postcodes = common::postcodes(&data);
    let (mut agree, mut disagree) = (0usize, Vec::new());
    for (i, pc) in postcodes.iter().enumerate() {
        let url = format!(
            "{}/v1/feeds/lookup?postcode={}",
            server.base,
            encode(&pc.postcode)
        );
        let body: Value = client.get(&url).send().unwrap().json().unwrap();
        assert_eq!(body["via"], "postcode", "{}: {body}", pc.postcode);
        let ward = body["areas"]["wards"][0]["id"].as_str().unwrap_or("");
        if ward == pc.ward_code {
            agree += 1;
            // The ward's own feed leads (unless planned), then the
            // locality's, then force-wide.
            let feeds: Vec<&str> = body["feeds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["feed_id"].as_str().unwrap())
                .collect();
            assert_eq!(feeds.last(), Some(&"GMP"));
            if body["areas"]["wards"][0]["name"] != "Bowdon" {
                assert!(feeds.contains(&format!("W-{ward}").as_str()), "{feeds:?}");
                assert_eq!(body["coverage"], "community");
            }
        } else {
            disagree.push(format!("{} ONS {} got {ward:?}", pc.postcode, pc.ward_code));
        }
        // Messy spellings of every 25th postcode give the same answer.
        if i % 25 == 0 {
            let compact = pc.postcode.replace(' ', "");
            for messy in [
                compact.to_lowercase(),
                format!("  {}  ", pc.postcode.replace(' ', "   ")),
                compact,
            ] {
                let url = format!(
                    "{}/v1/feeds/lookup?postcode={}",
                    server.base,
                    encode(&messy)
                );
                let again: Value = client.get(&url).send().unwrap().json().unwrap();
                assert_eq!(again["feeds"], body["feeds"], "{messy:?}");
                assert_eq!(again["postcode"]["postcode"], pc.postcode);
            }
        }
    }
    for d in &disagree {
        println!("disagree: {d}");
    }
    let rate = agree as f64 / postcodes.len() as f64;
    println!(
        "wards via ?postcode=: {agree}/{} = {:.3} %",
        postcodes.len(),
        rate * 100.0
    );
    assert!(rate >= 0.999, "{rate}");
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn place_search_finds_trafford_areas() {
    let Some(data) = common::gm_data("place_search_finds_trafford_areas") else {
        return;
    };
    let dir = common::gm_feeds_region(&data);
    let region = Source::load(dir.path())
        .map(|s| s.region)
        .unwrap_or_else(|e| panic!("{e}"));
    let server = Server::start(dir.path());
    let ward_id = |name: &str| {
        let (_, l) = region.layer("wards").unwrap();
        l.areas.iter().find(|a| a.name == name).unwrap().id.clone()
    };
    for (q, ward, kind) in [
        ("Old Trafford", "Old Trafford", "exact"),
        ("old trafford", "Old Trafford", "exact"),
        ("Old Traford", "Old Trafford", "fuzzy"),
        ("Sale Moor", "Sale Moor", "exact"),
        ("sale-moor!", "Sale Moor", "exact"),
        (
            "Gorse Hill and Cornbrook",
            "Gorse Hill & Cornbrook",
            "exact",
        ),
    ] {
        let (code, body) = server.get(&format!("/v1/feeds/lookup?q={}", encode(q)));
        assert_eq!(code, 200, "{q}: {body}");
        assert_eq!(body["via"], "place", "{q}");
        let first = &body["candidates"][0];
        assert_eq!(
            first["area_id"],
            Value::String(ward_id(ward)),
            "{q}: {first}"
        );
        assert_eq!(first["match"], kind, "{q}");
        // The point used lies in that ward, and its feed comes first.
        assert_eq!(
            body["areas"]["wards"][0]["id"],
            Value::String(ward_id(ward)),
            "{q}"
        );
        assert_eq!(
            body["feeds"][0]["feed_id"],
            Value::String(format!("W-{}", ward_id(ward))),
            "{q}"
        );
    }
    // Ambiguous text gets ranked candidates: "Timperley" begins two wards.
    let (_, body) = server.get("/v1/feeds/lookup?q=Timperley");
    let names: Vec<&str> = body["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Timperley Central") && names.contains(&"Timperley North"),
        "{names:?}"
    );
    // A postcode typed into the search box is a postcode query.
    let (_, body) = server.get("/v1/feeds/lookup?q=m154ab");
    assert_eq!(body["via"], "postcode");
}

#[test]
fn demo_feeds_over_http_and_bad_input() {
    let server = Server::start_with(&common::demo_region(), &["--batch-max-bytes", "4000"]);
    // Every demo postcode lies in the community it was generated in.
    let mut reader = csv::Reader::from_path(common::demo_region().join("postcodes.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        let (code, body) = server.get(&format!("/v1/feeds/lookup?postcode={}", encode(&row[0])));
        assert_eq!(code, 200);
        let community = body["community"]["id"].as_str().unwrap_or("");
        assert_eq!(community, &row[4], "{}", &row[0]);
    }
    // Marlow Market: its own X feed, then Marlow Fen's X and Facebook, then
    // force-wide; the per-platform view keeps the most specific of each.
    let (_, body) = server.get("/v1/feeds/lookup?postcode=DV1%201AA");
    let feeds: Vec<&str> = body["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feed_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        feeds,
        [
            "DV01-C01-X",
            "DV01-X",
            "DV01-FB",
            "DV-FORCE-X",
            "DV-FORCE-FB"
        ]
    );
    assert_eq!(body["feeds"][0]["matched"]["scope"], "community");
    assert_eq!(body["feeds"][0]["matched"]["area_name"], "Marlow Market");
    assert_eq!(body["feeds"][3]["matched"]["scope"], "force");
    assert_eq!(body["by_platform"]["x"]["feed_id"], "DV01-C01-X");
    assert_eq!(body["by_platform"]["facebook"]["feed_id"], "DV01-FB");
    assert_eq!(body["coverage"], "community");
    // Little Wexcombe's feed is only planned: not returned.
    let (_, body) = server.get("/v1/feeds/lookup?lat=54.76&lon=2.01");
    assert_eq!(body["via"], "coordinates");
    assert_eq!(body["community"]["name"], "Little Wexcombe");
    assert_eq!(body["coverage"], "neighbourhood");
    assert_eq!(body["feeds"][0]["feed_id"], "DV01-X");
    // Terminated postcode: answered, with a note.
    let (code, body) = server.get("/v1/feeds/lookup?postcode=dv19zy");
    assert_eq!(code, 200);
    assert!(
        body["note"].as_str().unwrap().contains("terminated"),
        "{body}"
    );
    // Outside every neighbourhood: force-wide only, flagged, with the nearest.
    let (_, body) = server.get("/v1/feeds/lookup?lat=54.5&lon=2.1");
    assert_eq!(body["coverage"], "outside");
    let feeds: Vec<&str> = body["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feed_id"].as_str().unwrap())
        .collect();
    assert_eq!(feeds, ["DV-FORCE-X", "DV-FORCE-FB"]);
    assert!(
        body["nearest_neighbourhood"]["distance_m"]
            .as_f64()
            .unwrap()
            > 10_000.0
    );
    // Addresses.
    let (_, body) = server.get(&format!(
        "/v1/feeds/lookup?q={}",
        encode("14 church lane marlow")
    ));
    assert_eq!(body["via"], "address");
    // Feed list and one feed.
    let (_, list) = server.get("/v1/feeds");
    assert_eq!(list["count"], 24);
    let (code, feed) = server.get("/v1/feeds/DV01-C06-X");
    assert_eq!(code, 200);
    assert_eq!(feed["status"], "planned");

    // Bad input: 4xx problems naming what is wrong.
    for (path, status, needle) in [
        ("/v1/feeds/lookup?postcode=hello", 400, "not a UK postcode"),
        ("/v1/feeds/lookup?postcode=M15", 400, "not a UK postcode"),
        (
            "/v1/feeds/lookup?postcode=ZZ9%209ZZ",
            404,
            "not in this region's postcode directory",
        ),
        ("/v1/feeds/lookup?q=", 400, "q is empty"),
        ("/v1/feeds/lookup?q=Zanzibar", 404, "no place or address"),
        ("/v1/feeds/lookup?lat=95&lon=2", 400, "-90..90"),
        ("/v1/feeds/lookup?lat=54", 400, "lon is required"),
        (
            "/v1/feeds/lookup",
            400,
            "give lat and lon, or postcode, or q",
        ),
        ("/v1/feeds/lookup?postcode=DV11AA&q=x", 400, "only one"),
        (
            "/v1/feeds/lookup?postcode=DV11AA&bogus=1",
            400,
            "unknown parameter",
        ),
        ("/v1/feeds/NOPE", 404, "no feed"),
    ] {
        let (code, ct, body) = server.get_with_type(path);
        assert_eq!(
            (code, ct.as_str()),
            (status, "application/problem+json"),
            "{path}: {body}"
        );
        assert!(
            body["detail"].as_str().unwrap().contains(needle),
            "{path}: {body}"
        );
    }
    let client = reqwest::blocking::Client::new();
    let post = |ct: &str, body: &str| {
        let r = client
            .post(format!("{}/v1/feeds/lookup/batch", server.base))
            .header("content-type", ct)
            .body(body.to_string())
            .send()
            .unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    let (code, text) = post("application/xml", "<x/>");
    assert_eq!(code, 415, "{text}");
    let (code, text) = post("text/csv", "name,postcode\na,DV11AA\n");
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("\\\"id\\\""), "{text}");
    let (code, text) = post("text/csv", "id,colour\n1,red\n");
    assert_eq!(code, 400, "{text}");
    let big = format!("id,postcode\n{}", "1,DV1 1AA\n".repeat(1000));
    let (code, text) = post("text/csv", &big);
    assert_eq!(code, 413, "{text}");
    assert!(text.contains("limit"), "{text}");

    // A small mixed batch in both formats: one output row per input row,
    // in order, bad rows with an error and the rest answered.
    let (code, text) = post(
        "text/csv",
        "id,postcode,lat,lon,q\na,DV1 1AA,,,\nb,,54.76,2.01,\nc,nonsense,,,\nd,,95,2,\ne,,,,Gullhaven\nf,,,,\n",
    );
    assert_eq!(code, 200, "{text}");
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
    let ids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e", "f"]);
    assert_eq!(&rows[0][col("first_feed_id")], "DV01-C01-X");
    assert_eq!(&rows[1][col("community_name")], "Little Wexcombe");
    assert!(rows[2][col("error")].contains("not a UK postcode"));
    assert!(rows[3][col("error")].contains("-90..90"));
    assert_eq!(&rows[4][col("via")], "place");
    assert_eq!(&rows[4][col("first_feed_id")], "DV06-C32-ND");
    assert!(rows[5][col("error")].contains("no postcode"));
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(
            r[col("error")].is_empty(),
            [0, 1, 4].contains(&i),
            "row {i}"
        );
    }
    let (code, text) = post(
        "application/x-ndjson",
        "{\"id\":1,\"postcode\":\"DV1 1AA\"}\nnot json\n{\"id\":3,\"lat\":54.76,\"lon\":2.01}\n",
    );
    assert_eq!(code, 200);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[0]["feeds"][0]["feed_id"], "DV01-C01-X");
    assert!(lines[1]["error"]
        .as_str()
        .unwrap()
        .contains("not a JSON object"));
    assert_eq!(lines[2]["community"]["name"], "Little Wexcombe");
}

/// Generates `rows` CSV rows lazily, so neither the test nor the request
/// body ever holds them all: mostly coordinates over Trafford, some
/// postcodes, and a bad row every 1,000.
struct RowSource {
    next: u64,
    rows: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for RowSource {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        use std::fmt::Write;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            let mut s = String::new();
            if self.next == 0 {
                s.push_str("id,lat,lon,postcode\n");
            }
            while self.next < self.rows && s.len() < 64 * 1024 {
                let i = self.next;
                if i % 1000 == 999 {
                    let _ = writeln!(s, "{i},abc,-2.3,");
                } else if i.is_multiple_of(10) {
                    let _ = writeln!(s, "{i},,,M15 4AB");
                } else {
                    let lat = 53.38 + (i % 997) as f64 * 0.0001;
                    let lon = -2.45 + (i % 991) as f64 * 0.0002;
                    let _ = writeln!(s, "{i},{lat:.5},{lon:.5},");
                }
                self.next += 1;
            }
            self.buf = s.into_bytes();
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads an HTTP/1.1 chunked body.
struct Dechunk<R: BufRead> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> Read for Dechunk<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        if self.left == 0 {
            let mut size = String::new();
            self.inner.read_line(&mut size)?;
            if size.trim().is_empty() {
                // The CRLF after the previous chunk.
                size.clear();
                self.inner.read_line(&mut size)?;
            }
            self.left = usize::from_str_radix(size.trim(), 16)
                .map_err(|e| std::io::Error::other(format!("bad chunk size {size:?}: {e}")))?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let want = out.len().min(self.left);
        let n = self.inner.read(&mut out[..want])?;
        self.left -= n;
        Ok(n)
    }
}

impl<R: BufRead> Dechunk<R> {
    fn lines(self) -> std::io::Lines<std::io::BufReader<Self>> {
        std::io::BufReader::new(self).lines()
    }
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kb / 1024.0
}

#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn batch_of_a_million_rows_streams_in_order_in_bounded_memory() {
    let Some(data) = common::gm_data("batch_of_a_million_rows_streams_in_order_in_bounded_memory")
    else {
        return;
    };
    let dir = common::gm_feeds_region(&data);
    let server = Server::start(dir.path());
    let rows = 1_000_000u64;
    let started = std::time::Instant::now();
    // Upload the whole body first, reading nothing, as many clients do: the
    // server must not wait for us to read while we are still sending.
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    use std::io::Write;
    write!(
        conn,
        "POST /v1/feeds/lookup/batch HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut source = RowSource {
        next: 0,
        rows,
        buf: Vec::new(),
        pos: 0,
    };
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = source.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        write!(conn, "{n:x}\r\n").unwrap();
        conn.write_all(&chunk[..n]).unwrap();
        conn.write_all(b"\r\n").unwrap();
    }
    conn.write_all(b"0\r\n\r\n").unwrap();
    println!(
        "uploaded {rows} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut reader = std::io::BufReader::new(conn);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        if h.trim().is_empty() {
            break;
        }
    }
    let mut lines = Dechunk {
        inner: reader,
        left: 0,
        done: false,
    }
    .lines();
    let header = lines.next().unwrap().unwrap();
    assert!(header.starts_with("id,via,lat,lon"), "{header}");
    let mut n = 0u64;
    let mut errors = 0u64;
    for line in lines {
        let line = line.unwrap();
        let id: u64 = line.split(',').next().unwrap().parse().unwrap();
        assert_eq!(id, n, "rows out of order");
        if n % 1000 == 999 {
            assert!(
                line.ends_with("lat \"\"abc\"\" is not a number\""),
                "{line}"
            );
            errors += 1;
        } else {
            assert!(line.ends_with(','), "row {n} has an error: {line}");
        }
        n += 1;
    }
    assert_eq!(n, rows);
    assert_eq!(errors, rows / 1000);
    let peak = peak_rss_mb(server.child.id());
    println!(
        "batch of {rows} rows in {:.1} s; server peak RSS {peak:.0} MB",
        started.elapsed().as_secs_f64()
    );
    assert!(peak < 300.0, "server peak RSS {peak} MB");
}

/// Feed list problems: every bad row is reported with its line, and the
/// region does not load.
#[test]
fn feed_list_validation_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["neighbourhoods.geojson", "communities.geojson"] {
        std::fs::copy(common::demo_region().join(f), dir.path().join(f)).unwrap();
    }
    let manifest = std::fs::read_to_string(common::demo_region().join("region.toml")).unwrap();
    let manifest = manifest.split("\n[postcodes]").next().unwrap().to_string()
        + "\n[feeds]\nfile = \"feeds.csv\"\n";
    std::fs::write(dir.path().join("region.toml"), manifest).unwrap();
    let feeds = "feed_id,platform,handle,url,layer,area_id,name,status
F1,x,@ok,https://x.example/ok,neighbourhoods,DV01,ok,active
F2,x,@a,https://x.example/a,wards,DV01,bad layer,active
F3,x,@b,https://x.example/b,neighbourhoods,NOPE,bad area,active
F1,x,@c,https://x.example/c,,,duplicate,active
F5,Twitter!,@d,https://x.example/d,,,bad platform,active
F6,x,@e,not a url,,,bad url,active
F7,x,,https://x.example/f,,,no handle,active
F8,x,@g,https://x.example/g,,,bad status,live
F9,x,@h,https://x.example/h,neighbourhoods,,half target,active
";
    std::fs::write(dir.path().join("feeds.csv"), feeds).unwrap();
    let Err(RegionError::Invalid { problems, .. }) = Source::load(dir.path()).map(|s| s.region)
    else {
        panic!("bad feeds loaded");
    };
    let found: Vec<(Option<usize>, ProblemKind)> =
        problems.iter().map(|p| (p.row, p.kind)).collect();
    for want in [
        (Some(3), ProblemKind::UnknownLayer),
        (Some(4), ProblemKind::UnknownArea),
        (Some(5), ProblemKind::DuplicateId),
        (Some(6), ProblemKind::BadPlatform),
        (Some(7), ProblemKind::BadUrl),
        (Some(8), ProblemKind::MissingHandle),
        (Some(9), ProblemKind::BadStatus),
        (Some(10), ProblemKind::UnknownArea),
    ] {
        assert!(found.contains(&want), "missing {want:?} in {found:?}");
    }
    assert!(
        !found.iter().any(|(row, _)| *row == Some(2)),
        "the good row was flagged: {found:?}"
    );
    let text = problems
        .iter()
        .find(|p| p.row == Some(6))
        .unwrap()
        .to_string();
    assert!(
        text.contains("feeds.csv [feeds] line 6 (id \"F5\")") && text.contains("lowercase word"),
        "{text}"
    );
    // Postcode directory problems name their line too.
    std::fs::write(
        dir.path().join("feeds.csv"),
        "feed_id,platform,handle,url,layer,area_id,name,status\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("pc.csv"), "pcds,lat,long\nDV1 1AA,54.7,2.0\nnot-a-postcode,54.7,2.0\nDV1 1AB,154.7,2.0\nDV1 1AA,54.7,2.0\nDV1 1AD,99.999999,0.0\n").unwrap();
    let m = std::fs::read_to_string(dir.path().join("region.toml")).unwrap()
        + "\n[postcodes]\nfile = \"pc.csv\"\n";
    std::fs::write(dir.path().join("region.toml"), m).unwrap();
    let Err(RegionError::Invalid { problems, .. }) = Source::load(dir.path()).map(|s| s.region)
    else {
        panic!("bad postcodes loaded");
    };
    let found: Vec<(Option<usize>, ProblemKind)> =
        problems.iter().map(|p| (p.row, p.kind)).collect();
    assert_eq!(
        found,
        vec![
            (Some(3), ProblemKind::InvalidPostcode),
            (Some(4), ProblemKind::CoordinateOutOfRange),
            (Some(5), ProblemKind::DuplicateId)
        ]
    );
}

#[test]
fn cli_feeds_lookup_and_batch() {
    let demo = common::demo_region();
    let out = common::feedmap_ok(&[
        "feeds".as_ref(),
        "lookup".as_ref(),
        "--region".as_ref(),
        demo.as_os_str(),
        "--postcode".as_ref(),
        "dv1 1aa".as_ref(),
    ]);
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["feeds"][0]["feed_id"], "DV01-C01-X");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "id,postcode\n1,DV1 1AA\n2,XX\n3,DV8 1BA\n").unwrap();
    let batch = |file: &std::path::Path| {
        common::feedmap_ok(&[
            "feeds".as_ref(),
            "batch".as_ref(),
            "--region".as_ref(),
            demo.as_os_str(),
            file.as_os_str(),
        ])
    };
    let out = batch(&input);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with("1,postcode,") && lines[1].contains("DV01-C01-X"));
    assert!(lines[2].starts_with("2,") && lines[2].contains("not a UK postcode"));
    assert!(lines[3].starts_with("3,postcode,"));
    // A 2 MB postcode cell is quoted in its first characters and its
    // length, in the CSV answer and in JSON Lines.
    let huge = "Z".repeat(2_000_000);
    std::fs::write(&input, format!("id,postcode\n1,{huge}\n")).unwrap();
    let out = batch(&input);
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text.lines().nth(1).unwrap();
    assert!(row.len() < 300, "{} bytes: {}", row.len(), &row[..300]);
    assert!(
        row.contains("(2000000 characters) is not a UK postcode"),
        "{row}"
    );
    let jsonl = dir.path().join("in.jsonl");
    std::fs::write(&jsonl, format!("{{\"id\": 1, \"lat\": \"{huge}\"}}\n")).unwrap();
    let out = batch(&jsonl);
    let row: Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = row["error"].as_str().unwrap();
    assert!(error.len() < 300, "{} bytes", error.len());
}

/// The command line answers as the server does: after planners add and
/// retire feeds through the API, `feedmap feeds batch --data-dir` gives
/// the same bytes as `POST /v1/feeds/lookup/batch` on 1,000 mixed rows
/// (postcodes, points, place names, a few bad ones), and `feeds lookup`
/// the same answer as `GET /v1/feeds/lookup`; without the store the
/// command says it answers from the region files alone.
#[test]
fn the_command_line_answers_as_the_server_after_api_edits() {
    let demo = common::demo_region();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let tokens = common::tokens_file(dir.path());
    let server = Server::start_with(
        &demo,
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--tokens",
            tokens.to_str().unwrap(),
        ],
    );
    // New Facebook feeds on four communities, and two feeds retired.
    let communities: Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("communities.geojson")).unwrap())
            .unwrap();
    let codes: Vec<String> = communities["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["code"].as_str().unwrap().to_string())
        .collect();
    for (i, code) in codes.iter().step_by(9).enumerate() {
        let body = serde_json::json!({
            "feed_id": format!("NEW-{i}"), "platform": "facebook", "handle": format!("NewFeed{i}"),
            "url": format!("https://facebook.example/NewFeed{i}"), "layer": "communities",
            "area_id": code, "status": "active",
        });
        let r = common::call(
            &server.base,
            "POST",
            "/v1/feeds",
            Some(common::PLANNER),
            Some(&body),
            &[],
        );
        assert_eq!(r.status, 201, "{}", r.json);
    }
    for feed in ["DV01-C01-X", "DV01-FB"] {
        let r = common::call(
            &server.base,
            "DELETE",
            &format!("/v1/feeds/{feed}"),
            Some(common::PLANNER),
            None,
            &[("If-Match", "*")],
        );
        assert_eq!(r.status, 200, "{feed}: {}", r.json);
    }
    // 1,000 rows: postcodes (some terminated or malformed), points over
    // the region, and place names, in a fixed pseudo-random order.
    let postcodes: Vec<String> = csv::Reader::from_path(demo.join("postcodes.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    let names: Vec<String> = communities["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap().to_string())
        .collect();
    let mut seed: u64 = 7;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    let mut input = String::from("id,postcode,lat,lon,q\n");
    for i in 0..1000 {
        let row = match i % 10 {
            0..=5 => format!("{i},{},,,", postcodes[next(postcodes.len())]),
            6 | 7 => format!(
                "{i},,{:.5},{:.5},",
                54.70 + next(2000) as f64 * 0.0001,
                1.95 + next(3000) as f64 * 0.0001
            ),
            8 => format!("{i},,,,{}", names[next(names.len())]),
            _ => format!("{i},NOT A {},,,", next(100)),
        };
        input.push_str(&row);
        input.push('\n');
    }
    let file = dir.path().join("rows.csv");
    std::fs::write(&file, &input).unwrap();
    let http = reqwest::blocking::Client::new()
        .post(format!("{}/v1/feeds/lookup/batch", server.base))
        .header("content-type", "text/csv")
        .body(input.clone())
        .send()
        .unwrap();
    assert_eq!(http.status(), 200);
    let http = http.bytes().unwrap().to_vec();
    let batch = |store: &[&std::ffi::OsStr]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "feeds".as_ref(),
            "batch".as_ref(),
            "--region".as_ref(),
            demo.as_os_str(),
        ];
        args.extend_from_slice(store);
        args.push(file.as_os_str());
        common::feedmap_ok(&args)
    };
    let cli = batch(&["--data-dir".as_ref(), data.as_os_str()]);
    assert_eq!(String::from_utf8_lossy(&cli.stdout).lines().count(), 1001);
    assert!(
        cli.stdout == http,
        "the command line and the server differ:\n{}",
        String::from_utf8_lossy(&cli.stdout)
            .lines()
            .zip(String::from_utf8_lossy(&http).lines())
            .filter(|(a, b)| a != b)
            .take(3)
            .map(|(a, b)| format!("cli:  {a}\nhttp: {b}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The edits show: new feeds answered, retired ones not.
    let text = String::from_utf8(http).unwrap();
    assert!(
        text.contains("NEW-") && !text.contains("DV01-C01-X"),
        "edits not seen"
    );
    // Without the store: the files' feeds, and a warning saying so.
    let files = batch(&[]);
    let stderr = String::from_utf8_lossy(&files.stderr);
    assert!(
        stderr.contains("region files alone") && stderr.contains("--data-dir"),
        "{stderr}"
    );
    assert!(
        files.stdout != cli.stdout,
        "the store's edits made no difference"
    );
    // JSON Lines as integrations write them: coordinates as text under
    // other spellings, numeric ids, blank lines; one row a line, in place,
    // each with its id as given, the same from both.
    let jsonl = "{\"id\": 1, \"lat\": \"54.793466\", \"lng\": \"2.07513\"}\n\n{\"id\": \"two\", \"latitude\": 54.79, \"longitude\": 2.07}\n{\"id\": 3, \"postcode\": \"DV1 1AA\"}\n";
    let answer = reqwest::blocking::Client::new()
        .post(format!("{}/v1/feeds/lookup/batch", server.base))
        .header("content-type", "application/x-ndjson")
        .body(jsonl)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let rows: Vec<Value> = answer
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&Value> = rows.iter().map(|r| &r["id"]).collect();
    assert_eq!(
        ids,
        [
            &Value::from(1),
            &Value::Null,
            &Value::from("two"),
            &Value::from(3)
        ],
        "{answer}"
    );
    let errors: Vec<&Value> = rows.iter().map(|r| &r["error"]).collect();
    assert_eq!(
        errors,
        [
            &Value::Null,
            &Value::from("empty row"),
            &Value::Null,
            &Value::Null
        ],
        "{answer}"
    );
    let lines = dir.path().join("rows.jsonl");
    std::fs::write(&lines, jsonl).unwrap();
    let cli = common::feedmap_ok(&[
        "feeds".as_ref(),
        "batch".as_ref(),
        "--region".as_ref(),
        demo.as_os_str(),
        "--data-dir".as_ref(),
        data.as_os_str(),
        lines.as_os_str(),
    ]);
    assert_eq!(String::from_utf8(cli.stdout).unwrap(), answer);
    // A header without what is needed is a problem with the body.
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/v1/feeds/lookup/batch", server.base))
        .header("content-type", "text/csv")
        .body("id,where\n1,here\n")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["title"], "Invalid body", "{problem}");
    // One lookup: the same answer as the server's.
    let out = common::feedmap_ok(&[
        "feeds".as_ref(),
        "lookup".as_ref(),
        "--region".as_ref(),
        demo.as_os_str(),
        "--data-dir".as_ref(),
        data.as_os_str(),
        "--postcode".as_ref(),
        "DV1 1AA".as_ref(),
    ]);
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (_, http) = server.get("/v1/feeds/lookup?postcode=DV1+1AA");
    assert_eq!(cli, http);
}

/// In a region with no feed list, a feed lookup says so (a field and a
/// note), rather than answering as if the force had no account there.
#[test]
fn a_lookup_without_a_feed_list_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let demo = common::demo_region();
    let manifest = std::fs::read_to_string(demo.join("region.toml")).unwrap();
    // The demo without its [feeds] table.
    let start = manifest.find("[feeds]").expect("the demo has a feed list");
    let end = manifest[start + 1..]
        .find("\n[")
        .map_or(manifest.len(), |e| start + 1 + e + 1);
    let without = format!("{}{}", &manifest[..start], &manifest[end..]);
    for entry in std::fs::read_dir(&demo).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() && entry.file_name() != "region.toml" {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
    }
    std::fs::write(dir.path().join("region.toml"), without).unwrap();
    let lookup =
        |region: &std::path::Path| -> Value { common::feeds_lookup_postcode(region, "dv1 1aa") };
    let none = lookup(dir.path());
    assert_eq!(none["feed_list"], false, "{none}");
    assert_eq!(none["feeds"], serde_json::json!([]));
    assert!(
        none["note"].as_str().unwrap().contains("no feed list"),
        "{none}"
    );
    let with = lookup(&demo);
    assert_eq!(with["feed_list"], true);
    // Every key is there: no note is a null one.
    assert_eq!(with["note"], Value::Null, "{with}");
    assert!(with.as_object().unwrap().contains_key("note"), "{with}");
}

/// `feedmap feeds batch … | head -1`: a reader that stops early closes the
/// pipe, which is how a pipeline says "enough": exit 0, no error message.
#[test]
fn batch_into_a_closed_pipe_exits_quietly() {
    use std::io::{BufRead, Write};
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    writeln!(f, "id,lat,lon").unwrap();
    for i in 0..50_000 {
        writeln!(f, "{i},54.76,2.01").unwrap();
    }
    f.flush().unwrap();
    drop(f);
    for args in [
        vec!["feeds", "batch", "--region"],
        vec!["plan", "--format", "geojson", "--region"],
    ] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_feedmap"));
        // Run from a folder of its own: a checkout's own `data/` store
        // would draw a warning from `plan`.
        cmd.args(&args)
            .arg(common::demo_region())
            .current_dir(dir.path());
        if args[0] == "feeds" {
            cmd.arg(&input);
        }
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "{args:?}: no output");
        drop(out);
        let done = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert!(
            done.status.success(),
            "{args:?}: {:?}, {stderr}",
            done.status
        );
        // Nothing but the note that no store was given.
        let said: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.contains("answering from the region files alone"))
            .collect();
        assert!(said.is_empty(), "{args:?} said: {stderr}");
    }
}
