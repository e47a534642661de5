//! A stand-in collector for tests: plain HTTP on loopback, std only, one request per connection.
//!
//! It speaks the collector's protocol as far as the client uses it (`GET /v1/key`,
//! `POST /v1/bundles` with idempotency, `GET`/`DELETE /v1/bundles/{id}`), remembers what it was
//! asked, and can be told to answer uploads with a bundle id of the test's choosing.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

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
        let (_, key) = bestpick_bundle::generate_keypair();
        let state = Arc::new(Mutex::new(FakeState::default()));
        let shared = Arc::clone(&state);
        let key_hex = key.to_hex();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = serve(stream, &shared, &key_hex);
            }
        });
        FakeCollector { url, state }
    }

    /// Its state, to inspect or change.
    pub(crate) fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn serve(stream: TcpStream, state: &Mutex<FakeState>, key_hex: &str) -> std::io::Result<()> {
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
        ("GET", "/v1/key") => (200, json!({ "public_key": key_hex })),
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
