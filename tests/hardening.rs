//! A server that bad clients cannot wear down: half-sent requests are
//! closed by the header timeout while normal requests are answered
//! throughout, and a client over its request rate gets 429 with
//! `Retry-After` while others are unaffected.

use crate::common;

use crate::common::Server;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn addr(server: &Server) -> SocketAddr {
    server
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("an address")
}

#[test]
fn half_requests_are_closed_by_the_header_timeout() {
    let server = Server::start_with(&common::demo_region(), &["--header-timeout", "2s"]);
    let to = addr(&server);
    // Normal requests, from the start to the end, are all answered.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let normal = {
        let (stop, base) = (stop.clone(), server.base.clone());
        std::thread::spawn(move || {
            let client = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let mut answered = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = client
                    .get(format!("{base}/v1/lookup?lat=54.76&lon=2.01"))
                    .send()
                    .expect("a normal request is answered while half requests wait");
                assert_eq!(r.status().as_u16(), 200);
                answered += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            answered
        })
    };
    // 2,000 clients that send half a request head and then nothing.
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..2_000)
        .map(|i| {
            let mut s = TcpStream::connect(to).unwrap_or_else(|e| {
                panic!("connection {i}: {e} (is the open-file limit below 5,000?)")
            });
            s.write_all(b"GET /health HTTP/1.1\r\nHost: feedmap\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    println!("2,000 half requests sent in {:?}", started.elapsed());
    std::thread::sleep(Duration::from_secs(4));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answered = normal.join().expect("every normal request answered");
    assert!(answered >= 20, "only {answered} normal requests answered");
    // By now (2 s timeout, 4 s waited since the last) every half request
    // is closed: a
    // read ends (0 bytes, or the server's 408) instead of blocking.
    let mut closed = 0;
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 512];
        let ended = loop {
            match s.read(&mut buf) {
                Ok(0) => break true,
                Ok(_) => continue, // a 408 answer, then the close
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
                Err(_) => break false,
            }
        };
        closed += usize::from(ended);
    }
    assert_eq!(
        closed, 2_000,
        "half requests still open after the header timeout"
    );
    println!("{answered} normal requests answered; all 2,000 half requests closed by the 2 s header timeout");
    // And the server still serves.
    assert_eq!(server.get("/health").0, 200);
}

#[test]
fn a_client_over_its_rate_gets_429_and_others_do_not() {
    let server = Server::start_with(
        &common::demo_region(),
        &[
            "--rate-limit",
            "5",
            "--rate-limit-burst",
            "10",
            "--rate-limit-loopback",
        ],
    );
    let from = |ip: [u8; 4]| {
        reqwest::blocking::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap()
    };
    let (greedy, other) = (from([127, 0, 0, 1]), from([127, 0, 0, 2]));
    let url = format!("{}/v1/feeds/lookup?postcode=DV1%201AA", server.base);
    let mut limited = None;
    for i in 0..40 {
        let r = greedy.get(&url).send().unwrap();
        if r.status().as_u16() == 429 {
            limited = Some((i, r));
            break;
        }
        assert_eq!(r.status().as_u16(), 200);
    }
    let (i, r) = limited.expect("40 quick requests at 5/s with a burst of 10 are limited");
    assert!((10..=15).contains(&i), "limited after {i} requests");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["status"], 429);
    assert!(body["detail"].as_str().unwrap().contains("try again"));
    // Another client is unaffected.
    for _ in 0..5 {
        assert_eq!(other.get(&url).send().unwrap().status().as_u16(), 200);
    }
    // After waiting as told, the first is served again.
    std::thread::sleep(Duration::from_secs(retry));
    assert_eq!(greedy.get(&url).send().unwrap().status().as_u16(), 200);
}

#[test]
fn loopback_is_not_limited_unless_asked() {
    let server = Server::start_with(
        &common::demo_region(),
        &["--rate-limit", "1", "--rate-limit-burst", "1"],
    );
    for _ in 0..20 {
        assert_eq!(server.get("/health").0, 200);
    }
    let bad = common::feedmap(&["serve", "--max-connections", "0"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--max-connections"));
}

/// Sends a request head and then its body a piece at a time, `pause`
/// apart; returns the status line and the rest of the answer (headers and
/// body).
fn dribble(
    to: SocketAddr,
    head: &str,
    body: &[u8],
    pieces: usize,
    pause: Duration,
) -> (String, String) {
    let mut s = TcpStream::connect(to).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    for piece in body.chunks(body.len().div_ceil(pieces)) {
        std::thread::sleep(pause);
        // The server may already have answered and closed.
        if s.write_all(piece).is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.lines().next().unwrap_or("").to_string();
    let rest = answer.split_once("\r\n").map_or("", |x| x.1).to_string();
    (status, rest)
}

#[test]
fn a_slow_request_gets_408_but_a_long_batch_upload_is_spared() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(dir.path());
    let server = Server::start_with(
        &common::demo_region(),
        &[
            "--request-timeout",
            "1s",
            "--tokens",
            tokens.to_str().unwrap(),
        ],
    );
    let to = addr(&server);
    // A write whose body arrives over 3 s: 408, a problem naming the limit.
    let body = br#"{"feed_id":"SLOW","platform":"x","handle":"@slow","url":"https://x.example/slow","status":"planned"}"#;
    let head = format!(
        "POST /v1/feeds HTTP/1.1\r\nHost: feedmap\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        common::PLANNER,
        body.len()
    );
    let started = Instant::now();
    let (status, answer) = dribble(to, &head, body, 6, Duration::from_millis(500));
    assert!(status.contains(" 408 "), "{status}: {answer}");
    let (_, problem) = answer.split_once("\r\n\r\n").expect("a body");
    let problem: serde_json::Value = serde_json::from_str(problem).expect("a JSON problem");
    assert_eq!(problem["status"], 408);
    assert!(problem["detail"].as_str().unwrap().contains("within 1 s"));
    assert!(started.elapsed() < Duration::from_secs(10));
    // Nothing was half-applied: the feed is not there.
    assert_eq!(server.get("/v1/feeds/SLOW").0, 404);
    // A batch whose first row comes after the timeout and whose upload
    // takes over 3 s is answered whole.
    let rows: String = (0..60).map(|i| format!("{i},,DV1 1AA\n")).collect();
    let csv = format!("id,lat,postcode\n{rows}");
    let head = format!(
        "POST /v1/feeds/lookup/batch HTTP/1.1\r\nHost: feedmap\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        csv.len()
    );
    let (status, answer) = dribble(to, &head, csv.as_bytes(), 3, Duration::from_millis(1200));
    assert!(status.contains(" 200 "), "{status}: {answer}");
    // Every row answered (the body comes in chunks; rows are not split).
    for i in [0, 30, 59] {
        assert!(
            answer.contains(&format!("\n{i},postcode,")),
            "row {i}: {answer}"
        );
    }
    // And quick requests are answered as ever.
    assert_eq!(server.get("/health").0, 200);
}

/// Which peers the rate limit applies to, through the server crate's
/// public API (tested here rather than inside the crate, so `cargo test`
/// builds that crate once).
#[test]
fn requests_carry_the_address_the_rate_limit_needs() {
    use feedmap::api::listen::{Peers, RateLimit};
    use std::net::IpAddr;
    let (local, remote): (IpAddr, IpAddr) =
        ("127.0.0.1".parse().unwrap(), "192.0.2.7".parse().unwrap());
    let v6: IpAddr = "::1".parse().unwrap();
    assert!(Peers::All.tags(local) && Peers::All.tags(remote));
    assert!(!Peers::Remote.tags(local) && !Peers::Remote.tags(v6));
    assert!(Peers::Remote.tags(remote));
    // The limit itself agrees: loopback is exempt unless asked.
    let rate = RateLimit::new(1, 1, false).unwrap();
    for _ in 0..5 {
        assert!(rate.check(local).is_ok());
    }
    assert!(rate.check(remote).is_ok());
    assert!(rate.check(remote).is_err());
}
