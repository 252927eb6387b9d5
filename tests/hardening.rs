//! A server that bad clients cannot wear down: half-sent requests are
//! closed by the header timeout while normal requests are answered
//! throughout, and a client over its request rate gets 429 with
//! `Retry-After` while others are unaffected.

mod common;

use common::Server;
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
