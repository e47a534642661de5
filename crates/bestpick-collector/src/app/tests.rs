//! Router tests with `oneshot`, as in axum's testing example.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use bestpick_bundle::{
    Buckets, Bundle, ImageEntry, Manifest, SCHEMA_VERSION, generate_keypair, random_hex, seal,
    sha256_hex,
};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;
use crate::store::DirStore;

/// A structurally valid JPEG without metadata (the verifier does not decode pixels).
fn clean_jpeg(seed: u8) -> Vec<u8> {
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

fn archive(images: Vec<Vec<u8>>) -> Vec<u8> {
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
            "wrong key",
            wrong_key,
            StatusCode::BAD_REQUEST,
            "cannot decrypt",
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
