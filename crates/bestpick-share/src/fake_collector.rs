//! A stand-in collector for tests: plain HTTP on loopback, std only, one request per connection.
//!
//! It speaks the collector's protocol as far as the client uses it (`GET /v1/key`,
//! `POST /v1/bundles` with idempotency, `GET`/`DELETE /v1/bundles/{id}`), remembers what it was
//! asked, and can be told to answer uploads with a bundle id of the test's choosing, or to
//! rotate its key (uploads sealed to a retired key are answered 409 `key_retired`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bestpick_bundle::{KeyId, PublicKey, SecretKey};
use serde_json::json;

/// What the fake collector holds and saw.
#[derive(Debug, Default)]
pub(crate) struct FakeState {
    /// Bundles stored: idempotency key → bundle id.
    pub(crate) bundles: HashMap<String, String>,
    /// Receipt hash sent with each stored bundle, by bundle id.
    pub(crate) receipt_hashes: HashMap<String, String>,
    /// Every request: method and path.
    pub(crate) requests: Vec<(String, String)>,
    /// When set, uploads are answered with this bundle id (and nothing is stored).
    pub(crate) answer_id: Option<String>,
    /// Its keys, oldest first; the last is served.
    pub(crate) keys: Vec<(SecretKey, PublicKey)>,
    /// Uploads sealed to these key ids are answered 409 `key_retired`.
    pub(crate) retired: Vec<KeyId>,
    /// The sealed body of every upload, in order.
    pub(crate) uploads: Vec<Vec<u8>>,
}

/// A running fake collector; its thread lives as long as the test process.
pub(crate) struct FakeCollector {
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    state: Arc<Mutex<FakeState>>,
}

impl FakeCollector {
    /// Listens on a free loopback port.
    pub(crate) fn start() -> FakeCollector {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(FakeState {
            keys: vec![bestpick_bundle::generate_keypair()],
            ..FakeState::default()
        }));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = serve(stream, &shared);
            }
        });
        FakeCollector { url, state }
    }

    /// Adds a new key (served from now on) and retires the one before; returns the new one.
    pub(crate) fn rotate(&self) -> PublicKey {
        let mut state = self.state();
        let old = state.keys.last().map(|(_, pk)| pk.key_id());
        state.retired.extend(old);
        let (sk, pk) = bestpick_bundle::generate_keypair();
        state.keys.push((sk, pk.clone()));
        pk
    }

    /// Its state, to inspect or change.
    pub(crate) fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn serve(stream: TcpStream, state: &Mutex<FakeState>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;

    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    state.requests.push((method.clone(), path.clone()));
    let (status, answer) = match (method.as_str(), path.as_str()) {
        ("GET", "/v1/key") => match state.keys.last() {
            Some((_, pk)) => (
                200,
                json!({ "public_key": pk.to_hex(), "key_id": pk.key_id().to_hex() }),
            ),
            None => (500, json!({ "error": "no key" })),
        },
        ("POST", "/v1/bundles")
            if bestpick_bundle::sealed_key_id(&body)
                .ok()
                .flatten()
                .is_some_and(|id| state.retired.contains(&id)) =>
        {
            state.uploads.push(body);
            let answer =
                json!({ "error": "bundle sealed to a retired key", "code": "key_retired" });
            (409, answer)
        }
        ("POST", "/v1/bundles") => match state.answer_id.clone() {
            Some(id) => (201, json!({ "bundle_id": id, "image_count": 1 })),
            None => {
                let idempotency = headers.get("idempotency-key").cloned().unwrap_or_default();
                let id = match state.bundles.get(&idempotency) {
                    Some(id) => id.clone(),
                    None => {
                        let id = bestpick_bundle::random_hex(16).expect("randomness");
                        state.bundles.insert(idempotency, id.clone());
                        id
                    }
                };
                let hash = headers
                    .get("bestpick-receipt-hash")
                    .cloned()
                    .unwrap_or_default();
                state.receipt_hashes.insert(id.clone(), hash);
                state.uploads.push(body);
                (201, json!({ "bundle_id": id, "image_count": 1 }))
            }
        },
        (_, p) if p.starts_with("/v1/bundles/") => {
            let id = &p["/v1/bundles/".len()..];
            if state.receipt_hashes.contains_key(id) {
                let gone = method == "DELETE";
                let answer = json!({
                    "bundle_id": id,
                    "state": if gone { "deleted" } else { "received" },
                    "datasets": [],
                });
                (200, answer)
            } else {
                (404, json!({ "error": "not found" }))
            }
        }
        _ => (404, json!({ "error": "not found" })),
    };
    drop(state);
    let body = answer.to_string();
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
