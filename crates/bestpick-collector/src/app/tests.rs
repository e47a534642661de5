//! Router tests with `oneshot`, as in axum's testing example.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use bestpick_bundle::{
    Buckets, Bundle, ImageEntry, Manifest, PublicKey, SCHEMA_VERSION, generate_keypair, random_hex,
    seal, sha256_hex,
};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;
use crate::store::DirStore;

/// A structurally valid JPEG without metadata (the verifier does not decode pixels).
pub(super) fn clean_jpeg(seed: u8) -> Vec<u8> {
    let seg = |m: u8, p: &[u8]| {
        let mut v = vec![0xFF, m];
        v.extend_from_slice(&u16::try_from(p.len() + 2).unwrap().to_be_bytes());
        v.extend_from_slice(p);
        v
    };
    let mut v = vec![0xFF, 0xD8];
    v.extend(seg(0xDB, &[0; 65]));
    v.extend(seg(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
    v.extend(seg(0xDA, &[1, 1, 0, 0, 63, 0]));
    v.extend_from_slice(&[seed, 0xFF, 0xD9]);
    v
}

pub(super) fn archive(images: Vec<Vec<u8>>) -> Vec<u8> {
    let mut entries: Vec<(String, Vec<u8>)> = images
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| {
            (
                format!("{}.jpg", sha256_hex(&[u8::try_from(i).unwrap()])),
                bytes,
            )
        })
        .collect();
    entries.sort();
    let manifest = Manifest {
        schema_version: SCHEMA_VERSION,
        anonymous_id: random_hex(16).unwrap(),
        images: entries
            .iter()
            .map(|(n, _)| ImageEntry {
                name: n.clone(),
                scores: serde_json::json!({"s": 0.5}),
            })
            .collect(),
        buckets: Buckets::default(),
    };
    let bundle = Bundle {
        manifest,
        images: entries.into_iter().collect(),
    };
    // Build the tar by hand when the bundle would not validate (metadata tests).
    match bundle.to_archive() {
        Ok(a) => a,
        Err(_) => raw_archive(&bundle),
    }
}

fn raw_archive(bundle: &Bundle) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, data).unwrap();
    };
    add("manifest.json", &bundle.manifest.to_json().unwrap());
    for (n, d) in &bundle.images {
        add(&format!("images/{n}"), d);
    }
    b.into_inner().unwrap()
}

struct Harness {
    _dir: tempfile::TempDir,
    state: AppState,
    public: PublicKey,
}

fn harness(config: Config) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(DirStore::open(dir.path()).unwrap());
    let (sk, pk) = generate_keypair();
    Harness {
        state: AppState::new(store, sk, config),
        public: pk,
        _dir: dir,
    }
}

async fn send(h: &Harness, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let res = app(h.state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, json)
}

fn post(body: Vec<u8>, key: &str, receipt_hash: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/v1/bundles")
        .header(IDEMPOTENCY_HEADER, key)
        .header(RECEIPT_HASH_HEADER, receipt_hash)
        .body(Body::from(body))
        .unwrap()
}

fn with_token(method: Method, id: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(format!("/v1/bundles/{id}"));
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn key_is_served() {
    let h = harness(Config::default());
    let (status, json) = send(
        &h,
        Request::builder()
            .uri("/v1/key")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["public_key"], h.public.to_hex(), "public key");
    assert_eq!(json["schema_version"], SCHEMA_VERSION, "schema");
}

#[tokio::test]
async fn upload_replay_status_delete() {
    let h = harness(Config::default());
    let token = "receipt-token-0123456789";
    let sealed = seal(&h.public, &archive(vec![clean_jpeg(1), clean_jpeg(2)])).unwrap();
    let key = "idem-key-0123456789abcdef";

    let (status, json) = send(&h, post(sealed.clone(), key, &sha256_hex(token.as_bytes()))).await;
    assert_eq!(status, StatusCode::CREATED, "first upload: {json}");
    let id = json["bundle_id"].as_str().unwrap().to_owned();
    assert_eq!(json["image_count"], 2, "image count");

    let (status, again) = send(&h, post(sealed.clone(), key, &sha256_hex(token.as_bytes()))).await;
    assert_eq!(status, StatusCode::CREATED, "replay");
    assert_eq!(again["bundle_id"], id, "same idempotency key, same answer");

    let other = seal(&h.public, &archive(vec![clean_jpeg(3)])).unwrap();
    let (status, _) = send(&h, post(other, key, &sha256_hex(token.as_bytes()))).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "same key, other bundle"
    );

    let (status, _) = send(&h, with_token(Method::GET, &id, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token");
    let (status, _) = send(&h, with_token(Method::GET, &id, Some("wrong"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "wrong token");
    let (status, _) = send(&h, with_token(Method::DELETE, &id, Some("wrong"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "wrong token cannot delete");
    let (status, json) = send(&h, with_token(Method::GET, &id, Some(token))).await;
    assert_eq!(
        (status, json["state"].as_str()),
        (StatusCode::OK, Some("received")),
        "status"
    );

    let (status, json) = send(&h, with_token(Method::DELETE, &id, Some(token))).await;
    assert_eq!(
        (status, json["state"].as_str()),
        (StatusCode::OK, Some("deleted")),
        "delete"
    );
    let (status, json) = send(&h, with_token(Method::GET, &id, Some(token))).await;
    assert_eq!(
        (status, json["state"].as_str()),
        (StatusCode::OK, Some("deleted")),
        "tombstone"
    );
    assert!(
        h.state.store.live_bundles().unwrap().is_empty(),
        "nothing live after delete"
    );
    let (status, _) = send(&h, with_token(Method::DELETE, &id, Some(token))).await;
    assert_eq!(status, StatusCode::OK, "delete is idempotent");
}

#[tokio::test]
async fn bad_uploads_are_rejected_without_crashing() {
    let h = harness(Config {
        max_body_bytes: 64 * 1024,
        ..Config::default()
    });
    let receipt = sha256_hex(b"t");
    let good = seal(&h.public, &archive(vec![clean_jpeg(1)])).unwrap();
    let (_, other_pk) = generate_keypair();
    let wrong_key = seal(&other_pk, &archive(vec![clean_jpeg(1)])).unwrap();
    let mut tampered = good.clone();
    let n = tampered.len();
    tampered[n - 20] ^= 0x40;
    let mut exif = clean_jpeg(1);
    exif.splice(2..2, [0xFF, 0xE1, 0, 8, b'E', b'x', b'i', b'f', 0, 0]);
    let with_exif = seal(&h.public, &archive(vec![exif])).unwrap();
    let not_tar = seal(&h.public, b"definitely not a tar archive").unwrap();

    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            // It names its key's id: the client is told to seal it again (see key_tests.rs).
            "wrong key",
            wrong_key,
            StatusCode::CONFLICT,
            "does not hold",
        ),
        (
            "tampered",
            tampered,
            StatusCode::BAD_REQUEST,
            "cannot decrypt",
        ),
        (
            "garbage",
            b"hello".to_vec(),
            StatusCode::BAD_REQUEST,
            "cannot decrypt",
        ),
        (
            "metadata",
            with_exif,
            StatusCode::UNPROCESSABLE_ENTITY,
            "APP1 (EXIF) present",
        ),
        (
            "not a tar",
            not_tar,
            StatusCode::UNPROCESSABLE_ENTITY,
            "archive",
        ),
        (
            "oversized",
            vec![0u8; 65 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "",
        ),
    ];
    for (i, (case, body, want, fragment)) in cases.into_iter().enumerate() {
        let key = format!("idempotency-key-case-{i:02}");
        let (status, json) = send(&h, post(body, &key, &receipt)).await;
        assert_eq!(status, want, "case {case}: {json}");
        let message = json["error"].as_str().unwrap_or("");
        assert!(
            message.contains(fragment),
            "case {case}: message {message:?}"
        );
    }
    let (status, _) = send(&h, post(good.clone(), "short", &receipt)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "short idempotency key");
    let (status, _) = send(&h, post(good, "idempotency-key-long-enough", "xyz")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "bad receipt hash");
    assert!(
        h.state.store.live_bundles().unwrap().is_empty(),
        "nothing stored"
    );
}

#[tokio::test]
async fn rate_limit_answers_429() {
    let h = harness(Config {
        rate_limit_per_minute: 3,
        ..Config::default()
    });
    for i in 0..3 {
        let (status, _) = send(
            &h,
            Request::builder()
                .uri("/v1/key")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "request {i} within limit");
    }
    let res = app(h.state.clone())
        .oneshot(
            Request::builder()
                .uri("/v1/key")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "over limit");
    assert!(
        res.headers().contains_key("retry-after"),
        "retry-after header"
    );
}

#[test]
fn limiter_windows_are_per_address() {
    let l = RateLimiter::new(1);
    let t = Instant::now();
    let a = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
    let b = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    assert!(l.check(a, t).is_ok(), "a first");
    assert!(l.check(a, t).is_err(), "a second");
    assert!(l.check(b, t).is_ok(), "b independent");
    assert!(
        l.check(a, t + Duration::from_secs(61)).is_ok(),
        "a after window"
    );
}

/// A request body the test feeds chunk by chunk, and the sender to feed it.
fn fed_post(
    key: &str,
    content_length: Option<u64>,
) -> (
    http_body_util::channel::Sender<axum::body::Bytes>,
    Request<Body>,
) {
    let (tx, body) = http_body_util::Channel::<axum::body::Bytes>::new(4);
    let mut b = Request::builder()
        .method(Method::POST)
        .uri("/v1/bundles")
        .header(IDEMPOTENCY_HEADER, key)
        .header(RECEIPT_HASH_HEADER, sha256_hex(b"t"));
    if let Some(n) = content_length {
        b = b.header(header::CONTENT_LENGTH, n);
    }
    (tx, b.body(Body::new(body)).unwrap())
}

fn partial_files(h: &Harness) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(h._dir.path().join("bundles"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "partial"))
        .collect()
}

/// Waits (up to a generous bound) until `ready` holds.
async fn until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "waited for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_beyond_the_limit_are_shed_at_once_and_bodies_go_to_disk() {
    let h = harness(Config {
        max_uploads: 1,
        ..Config::default()
    });
    let sealed = seal(&h.public, &archive(vec![clean_jpeg(1), clean_jpeg(2)])).unwrap();

    // A holds the only slot; its body arrives in two parts with a pause between.
    let (mut feed, request) = fed_post("idempotency-key-holder-a", None);
    let first = axum::body::Bytes::copy_from_slice(&sealed[..100]);
    let rest = axum::body::Bytes::copy_from_slice(&sealed[100..]);
    let holder = tokio::spawn(app(h.state.clone()).oneshot(request));
    feed.send_data(first).await.unwrap();

    // The first part is on disk while the request is still open: streamed, not buffered.
    until("the first part on disk", || {
        partial_files(&h)
            .first()
            .is_some_and(|p| std::fs::metadata(p).is_ok_and(|m| m.len() == 100))
    })
    .await;
    assert_eq!(h.state.uploads.available_permits(), 0, "A holds the slot");

    // B is answered 503 at once, without its body being read.
    let (_b_feed, b_request) = fed_post("idempotency-key-second-b", None);
    let res = tokio::time::timeout(
        Duration::from_secs(10),
        app(h.state.clone()).oneshot(b_request),
    )
    .await
    .expect("answered at once, not queued")
    .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "B shed");
    assert!(
        res.headers().contains_key("retry-after"),
        "B told when to retry"
    );
    assert_eq!(partial_files(&h).len(), 1, "nothing of B on disk");

    // A completes; B's retry then goes through.
    feed.send_data(rest).await.unwrap();
    drop(feed);
    let res = holder.await.unwrap().unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "A stored");
    let (status, json) = send(
        &h,
        post(sealed, "idempotency-key-second-b", &sha256_hex(b"t")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "B retried: {json}");
    assert!(partial_files(&h).is_empty(), "no partial file left");
    assert_eq!(
        h.state.store.live_bundles().unwrap().len(),
        2,
        "both stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_below_the_minimum_rate_is_cut_off_with_408() {
    let h = harness(Config {
        body_timeout: Duration::from_millis(500),
        body_min_rate: 1000,
        ..Config::default()
    });
    let (mut feed, request) = fed_post("idempotency-key-slow-body", None);
    // One byte every 100 ms: 10 bytes/s against a minimum of 1000.
    let dripping = tokio::spawn(async move {
        for _ in 0..300 {
            if feed
                .send_data(axum::body::Bytes::from_static(b"x"))
                .await
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let start = Instant::now();
    let res = app(h.state.clone()).oneshot(request).await.unwrap();
    let took = start.elapsed();
    assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT, "cut off");
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(20),
        "cut off after {took:?}"
    );
    dripping.abort();
    assert!(partial_files(&h).is_empty(), "the partial body is removed");
    assert_eq!(
        h.state.uploads.available_permits(),
        h.state.config.max_uploads,
        "slot free"
    );
}

#[tokio::test]
async fn a_declared_oversized_body_is_refused_before_it_is_read() {
    let h = harness(Config {
        max_body_bytes: 1000,
        ..Config::default()
    });
    // The body never comes: only the declared length can answer this.
    let (_feed, request) = fed_post("idempotency-key-too-large", Some(1001));
    let res = tokio::time::timeout(
        Duration::from_secs(10),
        app(h.state.clone()).oneshot(request),
    )
    .await
    .expect("answered without reading the body")
    .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[test]
fn limiter_counts_ipv6_per_64_and_keeps_its_map_bounded() {
    let t = Instant::now();
    let l = RateLimiter::new(1);
    let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
    let a2: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
    let b: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert!(l.check(a, t).is_ok(), "a first");
    assert!(l.check(a2, t).is_err(), "same /64 shares the window");
    assert!(l.check(b, t).is_ok(), "other /64 independent");
    let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
    let v4: IpAddr = "192.0.2.1".parse().unwrap();
    assert!(l.check(mapped, t).is_ok(), "mapped v4 first");
    assert!(l.check(v4, t).is_err(), "mapped v4 counts as v4");

    let small = RateLimiter::with_max_addresses(100, 3);
    for i in 0..3u8 {
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, i));
        assert!(small.check(ip, t).is_ok(), "address {i} tracked");
    }
    let fourth = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));
    assert!(
        small.check(fourth, t).is_err(),
        "map full of live windows: refused"
    );
    assert!(
        small
            .check(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), t)
            .is_ok(),
        "known addresses go on"
    );
    let later = t + Duration::from_secs(61);
    assert!(
        small.check(fourth, later).is_ok(),
        "room again once windows expire"
    );
    let tracked = small.windows.lock().unwrap().0.len();
    assert!(tracked <= 3, "never more than the bound: {tracked}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let h = harness(Config {
        rate_limit_per_minute: 1,
        trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
        ..Config::default()
    });
    let cases = [
        (
            "10.0.0.2:4000",
            "203.0.113.1",
            StatusCode::OK,
            "a client through the proxy",
        ),
        (
            "10.0.0.2:4000",
            "203.0.113.2",
            StatusCode::OK,
            "another client, same proxy",
        ),
        (
            "10.0.0.3:4000",
            "203.0.113.1",
            StatusCode::TOO_MANY_REQUESTS,
            "the first client again, through another proxy",
        ),
        (
            "198.51.100.5:1",
            "1.1.1.1",
            StatusCode::OK,
            "a direct client",
        ),
        (
            "198.51.100.5:1",
            "2.2.2.2",
            StatusCode::TOO_MANY_REQUESTS,
            "a direct client cannot escape its limit with the header",
        ),
    ];
    for (peer, forwarded, want, what) in cases {
        let mut req = Request::builder()
            .uri("/v1/key")
            .header("x-forwarded-for", forwarded)
            .body(Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        let res = app(h.state.clone()).oneshot(req).await.unwrap();
        assert_eq!(res.status(), want, "{what}");
    }
}
