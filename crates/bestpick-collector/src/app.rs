//! The HTTP API, built by [`app`] so tests can drive it with `tower::ServiceExt::oneshot`.
//!
//! - `GET /v1/key`: the collector's public key and suite.
//! - `POST /v1/bundles`: a sealed bundle; headers `Idempotency-Key` and
//!   `Bestpick-Receipt-Hash` (SHA-256 hex of the contributor's receipt token).
//! - `GET|DELETE /v1/bundles/{id}` with `Authorization: Bearer <receipt token>`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bestpick_bundle::{Bundle, Limits, PublicKey, SecretKey, is_hex_id, random_hex, sha256_hex};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::store::{BundleState, NewBundle, Store, StoreError};

/// Header carrying the client's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Header carrying SHA-256 (hex) of the receipt token.
pub const RECEIPT_HASH_HEADER: &str = "bestpick-receipt-hash";

/// Tunables of the service.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest accepted request body (sealed bundle), bytes.
    pub max_body_bytes: usize,
    /// Requests allowed per client address per minute.
    pub rate_limit_per_minute: u32,
    /// Limits applied to the decrypted archive.
    pub archive_limits: Limits,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_body_bytes: 256 * 1024 * 1024,
            rate_limit_per_minute: 120,
            archive_limits: Limits::default(),
        }
    }
}

/// Shared state of the service.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    secret: Arc<SecretKey>,
    public: PublicKey,
    config: Arc<Config>,
    limiter: Arc<RateLimiter>,
    clock: fn() -> i64,
}

impl AppState {
    /// State over a store and key pair.
    pub fn new(store: Arc<dyn Store>, secret: SecretKey, config: Config) -> AppState {
        let public = secret.public_key();
        AppState {
            store,
            secret: Arc::new(secret),
            public,
            limiter: Arc::new(RateLimiter::new(config.rate_limit_per_minute)),
            config: Arc::new(config),
            clock: unix_now,
        }
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Builds the router.
pub fn app(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    Router::new()
        .route("/v1/key", get(get_key))
        .route("/v1/bundles", axum::routing::post(post_bundle))
        .route("/v1/bundles/{id}", get(get_bundle).delete(delete_bundle))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .with_state(state)
}

/// `GET /v1/key` answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeyResponse {
    /// X25519 public key, hex.
    pub public_key: String,
    /// Short fingerprint of the key.
    pub fingerprint: String,
    /// Cipher suite.
    pub suite: String,
    /// Manifest schema version accepted.
    pub schema_version: u32,
}

async fn get_key(State(state): State<AppState>) -> Json<KeyResponse> {
    Json(KeyResponse {
        public_key: state.public.to_hex(),
        fingerprint: state.public.fingerprint(),
        suite: bestpick_bundle::SUITE.into(),
        schema_version: bestpick_bundle::SCHEMA_VERSION,
    })
}

/// `POST /v1/bundles` answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct PostResponse {
    /// Collector-assigned bundle id.
    pub bundle_id: String,
    /// Number of images accepted.
    pub image_count: u32,
}

/// `GET|DELETE /v1/bundles/{id}` answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct StatusResponse {
    /// Bundle id.
    pub bundle_id: String,
    /// Received or deleted.
    pub state: BundleState,
    /// Datasets that used the bundle.
    pub datasets: Vec<String>,
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, AppError> {
    headers
        .get(name)
        .ok_or_else(|| AppError::bad_request(format!("missing {name} header")))?
        .to_str()
        .map_err(|_| AppError::bad_request(format!("{name} header is not ASCII")))
}

async fn post_bundle(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let key = header_str(&headers, IDEMPOTENCY_HEADER)?;
    if !(16..=200).contains(&key.len()) {
        return Err(AppError::bad_request(
            "idempotency-key must be 16 to 200 characters",
        ));
    }
    let receipt_hash = header_str(&headers, RECEIPT_HASH_HEADER)?.to_ascii_lowercase();
    if !is_hex_id(&receipt_hash, 64) {
        return Err(AppError::bad_request(
            "bestpick-receipt-hash must be 64 hex characters",
        ));
    }
    let idempotency_hash = sha256_hex(key.as_bytes());
    let body_hash = sha256_hex(&body);
    if let Some(answer) = replay(&state, &idempotency_hash, &body_hash)? {
        return Ok(answer);
    }

    // Decrypt and check in memory, off the async workers: the clear bundle is never written.
    let secret = state.secret.clone();
    let limits = state.config.archive_limits;
    let sealed = body.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let archive = bestpick_bundle::open(&secret, &sealed)?;
        Bundle::from_archive(&archive, &limits)
    })
    .await
    .map_err(|_| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "bundle check failed"))?;
    let bundle = checked.map_err(reject)?;
    let image_count = u32::try_from(bundle.images.len()).unwrap_or(u32::MAX);
    drop(bundle);

    let id = random_hex(16)
        .map_err(|_| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "no randomness"))?;
    let new = NewBundle {
        id: id.clone(),
        receipt_hash,
        idempotency_hash: idempotency_hash.clone(),
        body_hash: body_hash.clone(),
        image_count,
        received_at: (state.clock)(),
        sealed: body.to_vec(),
    };
    match state.store.insert(new) {
        Ok(()) => {}
        // A concurrent request with the same key won the race: answer as it did.
        Err(StoreError::DuplicateIdempotencyKey) => {
            return replay(&state, &idempotency_hash, &body_hash)?
                .ok_or_else(|| AppError::new(StatusCode::CONFLICT, "idempotency key in use"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok((
        StatusCode::CREATED,
        Json(PostResponse {
            bundle_id: id,
            image_count,
        }),
    )
        .into_response())
}

fn replay(
    state: &AppState,
    idempotency_hash: &str,
    body_hash: &str,
) -> Result<Option<Response>, AppError> {
    let Some((id, stored_body)) = state.store.find_idempotent(idempotency_hash)? else {
        return Ok(None);
    };
    if stored_body != body_hash {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency key was already used for a different bundle",
        ));
    }
    let image_count = state.store.info(&id)?.map_or(0, |i| i.image_count);
    Ok(Some(
        (
            StatusCode::CREATED,
            Json(PostResponse {
                bundle_id: id,
                image_count,
            }),
        )
            .into_response(),
    ))
}

fn reject(e: bestpick_bundle::Error) -> AppError {
    use bestpick_bundle::Error as E;
    match e {
        E::Open | E::InvalidEnvelope | E::InvalidKey => {
            AppError::bad_request("cannot decrypt bundle (wrong key or tampered)")
        }
        E::UnsupportedSchema { .. } => AppError::bad_request(e.to_string()),
        E::TooLarge(_) => AppError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
        E::ImageRejected { .. } => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("bundle rejected, metadata found: {e}"),
        ),
        other => AppError::new(StatusCode::UNPROCESSABLE_ENTITY, other.to_string()),
    }
}

/// Looks the bundle up and checks the bearer receipt token against the stored hash.
fn authorize(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<crate::store::BundleInfo, AppError> {
    if !is_hex_id(id, 32) {
        return Err(AppError::not_found());
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            AppError::new(
                StatusCode::UNAUTHORIZED,
                "receipt token required (Authorization: Bearer)",
            )
        })?;
    let info = state.store.info(id)?.ok_or_else(AppError::not_found)?;
    if !constant_time_eq(
        sha256_hex(token.trim().as_bytes()).as_bytes(),
        info.receipt_hash.as_bytes(),
    ) {
        return Err(AppError::not_found());
    }
    Ok(info)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn get_bundle(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<StatusResponse>, AppError> {
    let info = authorize(&state, &id, &headers)?;
    Ok(Json(StatusResponse {
        bundle_id: info.id,
        state: info.state,
        datasets: info.datasets,
    }))
}

async fn delete_bundle(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<StatusResponse>, AppError> {
    let info = authorize(&state, &id, &headers)?;
    if info.state != BundleState::Deleted {
        state.store.delete(&id)?;
    }
    Ok(Json(StatusResponse {
        bundle_id: id,
        state: BundleState::Deleted,
        datasets: vec![],
    }))
}

/// Per-address fixed-window rate limiter. Addresses live only in this map, in memory; they
/// are never logged or written anywhere.
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per address per minute.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request; `Err(seconds to wait)` when over the limit.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let window = Duration::from_secs(60);
        let mut map = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = map.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            let wait = window.saturating_sub(now.duration_since(entry.0));
            return Err(wait.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    match state.limiter.check(ip, Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let mut response = AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("rate limit exceeded, retry in {wait} s"),
            )
            .into_response();
            if let Ok(v) = wait.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            response
        }
    }
}

#[cfg(test)]
mod tests;
