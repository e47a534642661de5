//! The HTTP API, built by [`app`] so tests can drive it with `tower::ServiceExt::oneshot`.
//!
//! - `GET /v1/key`: the collector's newest public key, its key id and the suite.
//! - `POST /v1/bundles`: a sealed bundle; headers `Idempotency-Key` and
//!   `Bestpick-Receipt-Hash` (SHA-256 hex of the contributor's receipt token). A bundle sealed
//!   to an older key is accepted for [`Config::retired_key_grace`] after the next key was
//!   added, then answered 409 with `"code": "key_retired"`; one sealed to a key id the collector
//!   does not hold, 409 with `"code": "unknown_key"`. Either way the client should fetch the
//!   key again, seal the same archive to it and send it again (see [`crate::keys`]).
//! - `GET|DELETE /v1/bundles/{id}` with `Authorization: Bearer <receipt token>`.
//!
//! Uploads are bounded: at most [`Config::max_uploads`] at once (the next one is answered 503
//! at once, never queued), each body is streamed to a file on the store's volume (never held
//! in memory while it arrives) and must keep arriving at [`Config::body_min_rate`]. Hashing,
//! decryption, checks, file and SQLite work run on blocking threads, off the async workers.

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bestpick_bundle::{Bundle, Limits, SecretKey, is_hex_id, random_hex, sha256_hex};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::keys::{CollectorKey, KeyRing, KeySet};
use crate::receive::{BodyLimits, Received, receive};
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
    /// Requests allowed per client address per minute, at each instance.
    pub rate_limit_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` names the client (see [`crate::proxy`]).
    pub trusted_proxies: Vec<crate::proxy::ProxyNet>,
    /// Limits applied to the decrypted archive.
    pub archive_limits: Limits,
    /// Uploads received and checked at once; one more is answered 503 at once. Memory use is
    /// about this many times the largest body (each is decrypted in memory once).
    pub max_uploads: usize,
    /// Time a body may take before any of it counts (see [`Config::body_min_rate`]).
    pub body_timeout: Duration,
    /// Bytes per second a body must keep up: every this many bytes received move the body's
    /// deadline one second further. A client slower than that is cut off with 408.
    pub body_min_rate: u64,
    /// How long after a key rotation new bundles sealed to the key before are still accepted
    /// (covering instances that have not yet seen the new key file and clients that fetched
    /// the key just before). After it they are answered 409 `key_retired`.
    pub retired_key_grace: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_body_bytes: 256 * 1024 * 1024,
            rate_limit_per_minute: 120,
            trusted_proxies: Vec::new(),
            archive_limits: Limits::default(),
            max_uploads: 2,
            body_timeout: Duration::from_secs(20),
            body_min_rate: 16 * 1024,
            retired_key_grace: DEFAULT_RETIRED_KEY_GRACE,
        }
    }
}

/// Default of [`Config::retired_key_grace`].
pub const DEFAULT_RETIRED_KEY_GRACE: Duration = Duration::from_secs(600);

/// The `code` of the 409 answering a bundle sealed to a retired key.
pub const CODE_KEY_RETIRED: &str = "key_retired";
/// The `code` of the 409 answering a bundle sealed to a key id the collector does not hold.
pub const CODE_UNKNOWN_KEY: &str = "unknown_key";

/// Seconds a client told 503 (all upload slots busy) is asked to wait.
pub const BUSY_RETRY_AFTER_SECS: u64 = 5;

/// Shared state of the service.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    keys: Arc<KeyRing>,
    config: Arc<Config>,
    limiter: Arc<RateLimiter>,
    uploads: Arc<Semaphore>,
    clock: fn() -> i64,
}

impl AppState {
    /// State over a store and one key.
    pub fn new(store: Arc<dyn Store>, secret: SecretKey, config: Config) -> AppState {
        let keys = KeyRing::fixed(KeySet::one(CollectorKey::new(secret, None)));
        AppState::with_keys(store, Arc::new(keys), config)
    }

    /// State over a store and the collector's keys (see [`crate::keys`]).
    pub fn with_keys(store: Arc<dyn Store>, keys: Arc<KeyRing>, config: Config) -> AppState {
        AppState {
            store,
            keys,
            limiter: Arc::new(RateLimiter::new(config.rate_limit_per_minute)),
            uploads: Arc::new(Semaphore::new(config.max_uploads.max(1))),
            config: Arc::new(config),
            clock: unix_now,
        }
    }
}

pub use bestpick_bundle::unix_now;

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
    /// X25519 public key, hex: the collector's newest key.
    pub public_key: String,
    /// The id bundles sealed to it carry (16 hex digits; see [`bestpick_bundle::KeyId`]).
    /// Added with key rotation: clients that do not know it ignore it.
    pub key_id: String,
    /// Short fingerprint of the key (the same 16 hex digits as `key_id`).
    pub fingerprint: String,
    /// Cipher suite.
    pub suite: String,
    /// Manifest schema version accepted.
    pub schema_version: u32,
}

async fn get_key(State(state): State<AppState>) -> Result<Json<KeyResponse>, AppError> {
    // Looking at the key file touches the file system: off the async workers.
    let keys = blocking(move || Ok(state.keys.keys())).await?;
    let public = &keys.newest().public;
    Ok(Json(KeyResponse {
        public_key: public.to_hex(),
        key_id: public.key_id().to_hex(),
        fingerprint: public.fingerprint(),
        suite: bestpick_bundle::SUITE.into(),
        schema_version: bestpick_bundle::SCHEMA_VERSION,
    }))
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

/// Runs store, file and crypto work on a blocking thread, off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| AppError::internal("a worker thread failed"))?
}

async fn post_bundle(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
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
    let max_body = u64::try_from(state.config.max_body_bytes).unwrap_or(u64::MAX);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body) {
        return Err(too_large(max_body));
    }
    let idempotency_hash = sha256_hex(key.as_bytes());

    // Load shedding: a busy collector says so at once instead of queueing the body.
    let Ok(slot) = state.uploads.clone().try_acquire_owned() else {
        return Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "collector busy with other uploads, retry later",
        )
        .with_retry_after(BUSY_RETRY_AFTER_SECS));
    };

    let id = random_hex(16).map_err(|_| AppError::internal("no randomness"))?;
    let partial = {
        let (store, id) = (state.store.clone(), id.clone());
        blocking(move || Ok(store.create_partial(&id)?)).await?
    };
    let limits = BodyLimits {
        max_bytes: max_body,
        timeout: state.config.body_timeout,
        min_rate: state.config.body_min_rate,
    };
    let received = receive(body, partial, &limits).await?;
    // The slot goes with the work: if the client goes away and this future is dropped, the
    // check still holds its memory, and so still holds its slot.
    blocking(move || {
        let answer = store_bundle(&state, id, receipt_hash, &idempotency_hash, received);
        drop(slot);
        answer
    })
    .await
}

/// After the body arrived: replay, or decrypt and check it, then store it durably.
fn store_bundle(
    state: &AppState,
    id: String,
    receipt_hash: String,
    idempotency_hash: &str,
    mut received: Received,
) -> Result<Response, AppError> {
    if let Some(answer) = replay(state, idempotency_hash, &received.sha256)? {
        return Ok(answer);
    }
    let image_count = check(state, &mut received)?;
    let body_hash = received.sha256.clone();
    let new = NewBundle {
        id: id.clone(),
        receipt_hash,
        idempotency_hash: idempotency_hash.to_owned(),
        body_hash: received.sha256,
        image_count,
        received_at: (state.clock)(),
        body: received.body,
    };
    match state.store.insert(new) {
        Ok(()) => Ok(created(id, image_count)),
        // A concurrent request with the same key won the race: answer as it did.
        Err(StoreError::DuplicateIdempotencyKey) => replay(state, idempotency_hash, &body_hash)?
            .ok_or_else(|| AppError::new(StatusCode::CONFLICT, "idempotency key in use")),
        Err(e) => Err(e.into()),
    }
}

/// Decrypts the received body in memory (one copy, in place) and runs the bundle checks;
/// the clear bundle is never written anywhere. Returns the number of images.
fn check(state: &AppState, received: &mut Received) -> Result<u32, AppError> {
    let len = usize::try_from(received.len).map_err(|_| too_large(received.len))?;
    let mut sealed = Vec::new();
    sealed
        .try_reserve_exact(len)
        .map_err(|_| AppError::internal("out of memory for the bundle check"))?;
    sealed.resize(len, 0);
    let file = received.body.file();
    if let Err(e) = file.rewind().and_then(|()| file.read_exact(&mut sealed)) {
        return Err(received.body.io_error(e).into());
    }
    open_with_keys(state, &mut sealed)?;
    let manifest = Bundle::check_archive(&sealed, &state.config.archive_limits).map_err(reject)?;
    Ok(u32::try_from(manifest.images.len()).unwrap_or(u32::MAX))
}

/// Opens `sealed` in place with the key it names (envelope version 2) or whichever opens it
/// (version 1), refusing a key retired for longer than the grace (409 `key_retired`) and a key
/// id not held even after looking at the key file again (409 `unknown_key`).
fn open_with_keys(state: &AppState, sealed: &mut Vec<u8>) -> Result<(), AppError> {
    let mut keys = state.keys.keys();
    let named = bestpick_bundle::sealed_key_id(sealed).map_err(reject)?;
    if let Some(id) = named
        && keys.position(id).is_none()
    {
        // Perhaps a rotation this instance has not seen yet: look at the file once more.
        state.keys.refresh();
        keys = state.keys.loaded();
    }
    let grace = i64::try_from(state.config.retired_key_grace.as_secs()).unwrap_or(i64::MAX);
    let now = (state.clock)();
    let retired = |index: usize| {
        let id = keys.keys()[index].id;
        keys.is_retired(index, now, grace).then(|| {
            AppError::new(
                StatusCode::CONFLICT,
                format!(
                    "bundle sealed to retired key {id}: fetch the current key (GET /v1/key), \
                     seal the bundle to it and send it again"
                ),
            )
            .with_code(CODE_KEY_RETIRED)
        })
    };
    // Refused before any decryption when the bundle names its key.
    if let Some(index) = named.and_then(|id| keys.position(id))
        && let Some(refused) = retired(index)
    {
        return Err(refused);
    }
    let (secrets, indices) = keys.newest_first();
    let opened = bestpick_bundle::open_in_place_any(&secrets, sealed).map_err(reject)?;
    match retired(indices[opened]) {
        Some(refused) => Err(refused),
        None => Ok(()),
    }
}

fn too_large(max: u64) -> AppError {
    crate::receive::ReceiveError::TooLarge { max }.into()
}

fn created(bundle_id: String, image_count: u32) -> Response {
    (
        StatusCode::CREATED,
        Json(PostResponse {
            bundle_id,
            image_count,
        }),
    )
        .into_response()
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
    Ok(Some(created(id, image_count)))
}

fn reject(e: bestpick_bundle::Error) -> AppError {
    use bestpick_bundle::Error as E;
    match e {
        E::Open | E::InvalidEnvelope | E::InvalidKey | E::WrongKey { .. } => {
            AppError::bad_request("cannot decrypt bundle (wrong key or tampered)")
        }
        E::UnknownKey { sealed_to } => AppError::new(
            StatusCode::CONFLICT,
            format!(
                "bundle sealed to key {sealed_to}, which this collector does not hold: fetch \
                 the current key (GET /v1/key), seal the bundle to it and send it again"
            ),
        )
        .with_code(CODE_UNKNOWN_KEY),
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
    let info = blocking(move || authorize(&state, &id, &headers)).await?;
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
    blocking(move || {
        let info = authorize(&state, &id, &headers)?;
        if info.state != BundleState::Deleted {
            state.store.delete(&id)?;
        }
        Ok(Json(StatusResponse {
            bundle_id: id,
            state: BundleState::Deleted,
            datasets: vec![],
        }))
    })
    .await
}

/// Per-address fixed-window rate limiter. Addresses live only in this map, in memory; they
/// are never logged or written anywhere.
///
/// IPv6 clients are counted per /64 (one subscriber's prefix), and the map holds at most
/// `max_addresses` windows: when it is full of live windows a new address is refused until
/// one expires, so no number of source addresses can grow it without bound.
pub struct RateLimiter {
    per_minute: u32,
    max_addresses: usize,
    windows: Mutex<Windows>,
}

/// Per address: start of its window and requests counted in it; and when expired windows
/// were last swept out.
type Windows = (HashMap<IpAddr, (Instant, u32)>, Option<Instant>);

/// Default bound of [`RateLimiter`]'s map (about 5 MB at most).
pub const RATE_LIMIT_MAX_ADDRESSES: usize = 100_000;

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per address per minute.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter::with_max_addresses(per_minute, RATE_LIMIT_MAX_ADDRESSES)
    }

    /// A limiter that tracks at most `max_addresses` addresses at once.
    pub fn with_max_addresses(per_minute: u32, max_addresses: usize) -> RateLimiter {
        RateLimiter {
            per_minute,
            max_addresses: max_addresses.max(1),
            windows: Mutex::new((HashMap::new(), None)),
        }
    }

    /// Counts a request; `Err(seconds to wait)` when over the limit.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let window = Duration::from_secs(60);
        let ip = limiter_key(ip);
        let mut guard = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (map, last_sweep) = &mut *guard;
        if map.len() >= self.max_addresses && !map.contains_key(&ip) {
            // Sweep at most once a second: a flood of new addresses must not make every
            // request walk the whole map.
            if last_sweep.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1)) {
                map.retain(|_, (start, _)| now.duration_since(*start) < window);
                *last_sweep = Some(now);
            }
            if map.len() >= self.max_addresses {
                return Err(1);
            }
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

/// The key an address is counted under: IPv4 as is (also when mapped into IPv6), IPv6 by its
/// /64 prefix.
fn limiter_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !u128::from(u64::MAX);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let ip = crate::proxy::client_ip(peer, req.headers(), &state.config.trusted_proxies);
    match state.limiter.check(ip, Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(wait) => AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("rate limit exceeded, retry in {wait} s"),
        )
        .with_retry_after(wait)
        .into_response(),
    }
}

#[cfg(test)]
mod key_tests;
#[cfg(test)]
mod tests;
