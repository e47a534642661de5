//! What a real collector process accepts from the network is bounded: slow clients are cut
//! off (request head and body), connections and request heads have caps, plain HTTP stays on
//! loopback, and TLS serving works.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Collector;
use common::raw::{self, post_head, read_until_closed, wait_closed};

/// Sends `bytes` one a second until the collector closes the connection; returns how long
/// that took and what it answered, or panics after `limit`. What arrives is kept across the
/// seconds: an answer that comes a second before the close is still the answer.
fn trickle(stream: &mut TcpStream, bytes: &[u8], limit: Duration) -> (Duration, String) {
    let start = Instant::now();
    let mut got = Vec::new();
    for &b in bytes.iter().cycle() {
        // A byte that cannot go out: closed, and what it answered before may still be waiting.
        let sent = stream.write_all(&[b]).is_ok();
        if read_until_closed(stream, Duration::from_secs(1), &mut got) || !sent {
            return (start.elapsed(), String::from_utf8_lossy(&got).into_owned());
        }
        assert!(
            start.elapsed() < limit,
            "still open after {:?}",
            start.elapsed()
        );
    }
    unreachable!("cycle never ends")
}

#[test]
fn a_client_sending_one_byte_a_second_is_cut_off() {
    let tmp = tempfile::tempdir().unwrap();
    let collector = Collector::start(
        &tmp.path().join("data"),
        &[
            "--header-timeout",
            "2",
            "--body-timeout",
            "2",
            "--body-min-rate",
            "1024",
        ],
    );

    // Slow request head: cut off by the header timeout, with nothing answered.
    let mut stream = TcpStream::connect(collector.addr()).unwrap();
    let head = post_head(100_000, "idempotency-key-slow-head");
    let (took, answer) = trickle(&mut stream, head.as_bytes(), Duration::from_secs(30));
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(15),
        "head cut off after {took:?}"
    );
    assert!(
        !answer.contains(" 201 "),
        "no upload was accepted: {answer:?}"
    );

    // Idle keep-alive connection: closed by the same timeout.
    let mut idle = TcpStream::connect(collector.addr()).unwrap();
    idle.write_all(b"GET /v1/key HTTP/1.1\r\nHost: c\r\n\r\n")
        .unwrap();
    let first = raw::read_answer(&mut idle).unwrap();
    assert_eq!(first.status, 200, "first request on the connection");
    let start = Instant::now();
    assert!(
        wait_closed(&mut idle, Duration::from_secs(15)).is_some(),
        "idle keep-alive connection closed"
    );
    assert!(
        start.elapsed() >= Duration::from_millis(1500),
        "idle closed after {:?}",
        start.elapsed()
    );

    // Slow body: the head arrives at once, the body one byte a second: 408 and closed.
    let slow_body = |key: &str| {
        let mut stream = TcpStream::connect(collector.addr()).unwrap();
        stream
            .write_all(post_head(100_000, key).as_bytes())
            .unwrap();
        trickle(&mut stream, b"x", Duration::from_secs(30))
    };
    let (mut took, mut answer) = slow_body("idempotency-key-slow-body");
    if answer.is_empty() {
        // The server closes with the byte in flight unread, and the reset that follows can
        // overtake its answer on a busy machine: the cut-off happened, its words were lost in
        // transport. Once more, to read them.
        (took, answer) = slow_body("idempotency-key-slow-body-again");
    }
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(15),
        "body cut off after {took:?}"
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "answer: {answer:?}");
    assert!(answer.contains("too slowly"), "answer says why: {answer:?}");
    assert!(
        common::files_under(&collector.data.join("bundles")).is_empty(),
        "nothing of the slow upload stays on disk"
    );
}

#[test]
fn connections_and_request_heads_are_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let collector = Collector::start(
        &tmp.path().join("data"),
        &["--max-connections", "4", "--header-timeout", "60"],
    );
    let addr = collector.addr();

    // Four open connections fill the collector; a fifth is closed at once, unanswered.
    let mut held: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(addr).unwrap()).collect();
    for s in &mut held {
        s.write_all(b"GET /v1/key HTTP/1.1\r\nHost: c\r\n\r\n")
            .unwrap();
        assert_eq!(raw::read_answer(s).unwrap().status, 200, "held connection");
    }
    let mut fifth = TcpStream::connect(addr).unwrap();
    let _ = fifth.write_all(b"GET /v1/key HTTP/1.1\r\nHost: c\r\n\r\n");
    let got = wait_closed(&mut fifth, Duration::from_secs(10));
    assert_eq!(
        got.as_deref().map(String::from_utf8_lossy),
        Some("".into()),
        "fifth connection closed without an answer"
    );
    // One closes: there is room again.
    drop(held.pop());
    let mut answered = None;
    for _ in 0..50 {
        if let Ok(a) = raw::get(addr, "/v1/key") {
            answered = Some(a.status);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(answered, Some(200), "served again once a connection closed");
    drop(held);

    // Request heads: too large in bytes, or too many fields: 431.
    let big = format!(
        "GET /v1/key HTTP/1.1\r\nHost: c\r\nX-Filler: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    let many = format!(
        "GET /v1/key HTTP/1.1\r\nHost: c\r\n{}Connection: close\r\n\r\n",
        (0..100)
            .map(|i| format!("X-Field-{i}: v\r\n"))
            .collect::<String>()
    );
    let mut ok = "GET /v1/key HTTP/1.1\r\nHost: c\r\n".to_owned();
    ok.push_str(&"X-Some: value\r\n".repeat(20));
    ok.push_str("Connection: close\r\n\r\n");
    for (case, head, want) in [
        ("20 KiB header", &big, 431),
        ("100 fields", &many, 431),
        ("20 small fields", &ok, 200),
    ] {
        // A refused head may be cut off by a reset racing the answer (the server closes with
        // the rest of the head unread): that is transport, not the verdict, so ask again.
        let mut answer = raw::request(addr, head, b"");
        for _ in 0..5 {
            match &answer {
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    std::thread::sleep(Duration::from_millis(50));
                    answer = raw::request(addr, head, b"");
                }
                _ => break,
            }
        }
        assert_eq!(answer.unwrap().status, want, "case {case}");
    }
}

#[test]
fn plain_http_is_refused_off_loopback_unless_behind_a_tls_proxy() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut refused = std::process::Command::new(env!("CARGO_BIN_EXE_bestpick-collector"))
        .args(["serve", "--listen", "0.0.0.0:0", "--data"])
        .arg(&data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = refused.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(30) {
            refused.kill().unwrap();
            refused.wait().unwrap();
            panic!("serve started on 0.0.0.0 with plain HTTP instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut refused.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "refused: {stderr}");
    for needle in ["not a loopback address", "--tls-cert", "--behind-tls-proxy"] {
        assert!(stderr.contains(needle), "error names {needle:?}: {stderr}");
    }
    assert!(!data.exists(), "refused before creating anything");

    let all = start_on(&data, "0.0.0.0:0", &["--behind-tls-proxy"]);
    assert!(all.url.starts_with("http://0.0.0.0:"), "url {}", all.url);
    let answer = raw::get(all.loopback(), "/v1/key").unwrap();
    assert_eq!(answer.status, 200, "served behind a TLS proxy");
}

/// Starts `serve` on `listen` (the common helper always uses 127.0.0.1).
fn start_on(data: &std::path::Path, listen: &str, extra: &[&str]) -> Collector {
    let mut args = vec!["--listen", listen];
    args.extend_from_slice(extra);
    Collector::start_with(data, &args)
}

#[test]
fn tls_serving_works_with_a_self_signed_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert_path = tmp.path().join("cert.pem");
    let key_path = tmp.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();

    // TLS on every address is allowed (no --behind-tls-proxy needed).
    let collector = start_on(
        &tmp.path().join("data"),
        "0.0.0.0:0",
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    assert!(
        collector.url.starts_with("https://"),
        "url {}",
        collector.url
    );

    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = tokio_rustls::rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(collector.loopback()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut tls = tokio_rustls::rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"GET /v1/key HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = raw::read_answer(&mut tls).unwrap();
    assert_eq!(answer.status, 200, "key over TLS: {answer:?}");
    let secret = bestpick_collector::keys::load_or_create(&common::key_file(&collector.data))
        .unwrap()
        .0;
    assert_eq!(
        answer.json()["public_key"],
        secret.public_key().to_hex(),
        "the collector's key"
    );

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = raw::get(collector.loopback(), "/v1/key");
    assert!(
        plain.as_ref().map_or(true, |a| a.status != 200),
        "plain HTTP refused: {plain:?}"
    );

    // A missing key file is a clear start-up error.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bestpick-collector"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(tmp.path().join("data2"))
        .args(["--tls-cert", cert_path.to_str().unwrap(), "--tls-key"])
        .arg(tmp.path().join("missing.pem"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "refused: {stderr}");
    assert!(
        stderr.contains("TLS key") && stderr.contains("missing.pem"),
        "error names the key file: {stderr}"
    );
}
