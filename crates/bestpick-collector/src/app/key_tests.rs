//! Router tests of key rotation: the newest key served, old keys accepted for the grace and
//! then refused with a code the client acts on, and a rotated key file picked up without a
//! restart.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bestpick_bundle::{PublicKey, generate_keypair, random_hex, seal, seal_v1, sha256_hex};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::tests::{archive, clean_jpeg};
use super::*;
use crate::keys::{load_set_or_create, read_set, rotate};
use crate::store::DirStore;

struct Rotating {
    dir: tempfile::TempDir,
    path: std::path::PathBuf,
    state: AppState,
    first: PublicKey,
}

/// A collector over a key file that looks at it every `check_every`.
fn rotating(grace: Duration, check_every: Duration) -> Rotating {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(DirStore::open(&dir.path().join("data")).unwrap());
    let path = dir.path().join("collector.keys");
    let (set, stamp) = load_set_or_create(&path).unwrap();
    let first = set.newest().public.clone();
    let ring = KeyRing::watching(path.clone(), set, stamp).with_check_every(check_every);
    let config = Config {
        retired_key_grace: grace,
        ..Config::default()
    };
    Rotating {
        state: AppState::with_keys(store, Arc::new(ring), config),
        path,
        first,
        dir,
    }
}

impl Rotating {
    /// Rotates the key file; returns the new key.
    fn rotate(&self) -> PublicKey {
        rotate(&self.path, unix_now()).unwrap();
        let (set, _) = read_set(&self.path).unwrap().unwrap();
        set.newest().public.clone()
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, serde_json::Value) {
        let res = app(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    async fn served(&self) -> serde_json::Value {
        let (status, json) = self
            .send(Request::get("/v1/key").body(Body::empty()).unwrap())
            .await;
        assert_eq!(status, StatusCode::OK);
        json
    }

    async fn upload(&self, sealed: Vec<u8>) -> (StatusCode, serde_json::Value) {
        let req = Request::post("/v1/bundles")
            .header(IDEMPOTENCY_HEADER, random_hex(16).unwrap())
            .header(RECEIPT_HASH_HEADER, sha256_hex(b"token"))
            .body(Body::from(sealed))
            .unwrap();
        self.send(req).await
    }
}

fn bundle() -> Vec<u8> {
    archive(vec![clean_jpeg(1)])
}

#[tokio::test]
async fn the_newest_key_is_served_with_its_id_and_rotation_needs_no_restart() {
    let r = rotating(DEFAULT_RETIRED_KEY_GRACE, Duration::ZERO);
    let json = r.served().await;
    assert_eq!(json["public_key"], r.first.to_hex(), "the first key");
    assert_eq!(json["key_id"], r.first.key_id().to_hex(), "with its id");
    assert_eq!(
        json["fingerprint"],
        r.first.fingerprint(),
        "fingerprint kept"
    );

    let second = r.rotate();
    let json = r.served().await;
    assert_eq!(
        json["public_key"],
        second.to_hex(),
        "the rotated key, no restart"
    );
    assert_eq!(json["key_id"], second.key_id().to_hex());
    let (status, _) = r.upload(seal(&second, &bundle()).unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "sealed to the new key");
    drop(r.dir);
}

#[tokio::test]
async fn older_keys_are_accepted_for_the_grace_then_refused_with_a_code() {
    // (grace, sealed to the first key after a rotation: want status, want code)
    let cases = [
        (DEFAULT_RETIRED_KEY_GRACE, StatusCode::CREATED, None),
        (Duration::ZERO, StatusCode::CONFLICT, Some(CODE_KEY_RETIRED)),
    ];
    for (grace, want_status, want_code) in cases {
        let r = rotating(grace, Duration::ZERO);
        let second = r.rotate();
        for (form, sealed) in [
            ("v2", seal(&r.first, &bundle()).unwrap()),
            ("v1", seal_v1(&r.first, &bundle()).unwrap()),
        ] {
            let (status, json) = r.upload(sealed).await;
            let case = format!("grace {grace:?}, {form} to the older key: {json}");
            assert_eq!(status, want_status, "{case}");
            assert_eq!(json["code"].as_str(), want_code, "{case}");
            if want_code.is_some() {
                let message = json["error"].as_str().unwrap();
                assert!(
                    message.contains(&r.first.fingerprint()) && message.contains("/v1/key"),
                    "{case}: says which key and what to do"
                );
            }
        }
        for (form, sealed) in [
            ("v2", seal(&second, &bundle()).unwrap()),
            ("v1", seal_v1(&second, &bundle()).unwrap()),
        ] {
            let (status, json) = r.upload(sealed).await;
            assert_eq!(
                status,
                StatusCode::CREATED,
                "grace {grace:?}, {form}: {json}"
            );
        }
    }
}

#[tokio::test]
async fn a_key_id_not_held_is_unknown_and_garbage_still_400() {
    let r = rotating(DEFAULT_RETIRED_KEY_GRACE, Duration::ZERO);
    let (_, stranger) = generate_keypair();
    let (status, json) = r.upload(seal(&stranger, &bundle()).unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{json}");
    assert_eq!(json["code"], CODE_UNKNOWN_KEY, "{json}");
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains(&stranger.fingerprint())
    );

    let (status, json) = r.upload(seal_v1(&stranger, &bundle()).unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "v1 to a stranger: {json}");
    assert!(json.get("code").is_none(), "no code: {json}");

    let mut tampered = seal(&r.first, &bundle()).unwrap();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let (status, _) = r.upload(tampered).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "tampered");
}

#[tokio::test]
async fn a_bundle_for_an_unseen_key_makes_the_instance_look_again() {
    // An instance that would not look at the file for an hour on its own.
    let r = rotating(DEFAULT_RETIRED_KEY_GRACE, Duration::from_secs(3600));
    let second = r.rotate();
    assert_eq!(
        r.served().await["public_key"],
        r.first.to_hex(),
        "not looked at yet"
    );
    // Another instance served the new key; this one gets a bundle sealed to it.
    let (status, json) = r.upload(seal(&second, &bundle()).unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!(r.served().await["public_key"], second.to_hex(), "reloaded");
}

#[tokio::test]
async fn a_broken_key_file_keeps_the_keys_loaded() {
    let r = rotating(DEFAULT_RETIRED_KEY_GRACE, Duration::ZERO);
    std::fs::write(&r.path, "bestpick-collector-keys 1\nnot a key\n").unwrap();
    assert_eq!(
        r.served().await["public_key"],
        r.first.to_hex(),
        "still the key loaded"
    );
    let (status, _) = r.upload(seal(&r.first, &bundle()).unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "still opens");
}
