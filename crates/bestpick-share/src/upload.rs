//! The collector client: HTTPS with rustls (plain HTTP only to loopback, for tests), retries
//! with exponential backoff on network errors, 5xx and 429, and an idempotency key per bundle
//! so a retried upload is stored once.
//!
//! This is the only code in bestpick that opens a connection, and every request goes through
//! one function, [`CollectorClient`]'s `send_logged`: each attempt is written to the network
//! log ([`RequestLog`]) before it leaves — when, the collector's origin, what for, the bytes
//! sent — and completed when it ends with the bytes received and the status or the error. A
//! request that cannot be logged is not made.

use std::net::IpAddr;
use std::time::Duration;

use bestpick_bundle::PublicKey;
use reqwest::Url;
use reqwest::blocking::{Client, RequestBuilder};
use serde::{Deserialize, Serialize};

use crate::ledger::{NetworkRequest, RequestLog, RequestOutcome};
use crate::{Error, Result};

/// Idempotency header name.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Receipt-hash header name.
pub const RECEIPT_HASH_HEADER: &str = "Bestpick-Receipt-Hash";
/// The `code` of a 409 answering a bundle sealed to a key the collector rotated out: fetch the
/// key again and seal the bundle to it.
pub const CODE_KEY_RETIRED: &str = "key_retired";
/// The `code` of a 409 answering a bundle sealed to a key the collector does not hold: the
/// same remedy.
pub const CODE_UNKNOWN_KEY: &str = "unknown_key";

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Total attempts (at least 1).
    pub attempts: u32,
    /// Wait before the second attempt; doubles each time.
    pub base_delay: Duration,
    /// Longest wait between attempts.
    pub max_delay: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            timeout: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Progress of one upload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadEvent {
    /// An attempt starts.
    Attempt {
        /// 1-based attempt number.
        attempt: u32,
        /// Bytes being sent.
        bytes: u64,
    },
    /// The attempt failed and will be retried after `wait`.
    Retrying {
        /// The failed attempt.
        attempt: u32,
        /// Wait before the next one.
        wait: Duration,
        /// What went wrong.
        reason: String,
    },
    /// The collector no longer takes the key the bundle was sealed to: it was sealed again
    /// to the key it serves now, and is sent again.
    Resealed {
        /// Id of the key it is now sealed to.
        key_id: String,
    },
    /// The collector confirmed the bundle.
    Done {
        /// Collector-assigned id.
        bundle_id: String,
    },
}

/// The collector's answer to an upload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UploadReceipt {
    /// Collector-assigned id.
    pub bundle_id: String,
    /// Images it accepted.
    pub image_count: u32,
}

/// The collector's view of one bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteStatus {
    /// Collector-assigned id.
    pub bundle_id: String,
    /// "received" or "deleted".
    pub state: String,
    /// Datasets that used it.
    pub datasets: Vec<String>,
}

#[derive(Deserialize)]
struct KeyAnswer {
    public_key: String,
    /// The key's id; collectors before key rotation do not send it.
    #[serde(default)]
    key_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    #[serde(default)]
    code: Option<String>,
}

/// Length of a collector bundle id: 16 random bytes in lowercase hex.
pub const BUNDLE_ID_LEN: usize = 32;

/// Accepts a bundle id only in the collector's own format, 32 lowercase hex characters, so an
/// id from a hostile or broken collector (`../../x`, `a/b`, `%2e%2e`, `x?y#z`, …) never reaches a
/// URL path or the vault.
pub fn check_bundle_id(id: &str) -> Result<()> {
    if bestpick_bundle::is_hex_id(id, BUNDLE_ID_LEN) {
        return Ok(());
    }
    // Show enough to recognise it, escaped, never unbounded.
    let shown: String = id.chars().take(48).collect();
    let ellipsis = if id.chars().count() > 48 { "…" } else { "" };
    Err(Error::InvalidBundleId {
        id: format!("{:?}{ellipsis}", shown),
    })
}

/// Accepts `https://…`, or `http://` to a loopback host (127.0.0.0/8, ::1, localhost).
pub fn check_collector_url(url: &str) -> Result<Url> {
    let bad = |reason: &str| Error::CollectorUrl {
        url: url.to_owned(),
        reason: reason.into(),
    };
    let parsed = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("credentials in the URL are not allowed"));
    }
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" => {
            let host = parsed.host_str().unwrap_or("");
            let ip = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>();
            let loopback =
                host.eq_ignore_ascii_case("localhost") || ip.is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(parsed)
            } else {
                Err(bad(
                    "HTTPS is required (plain HTTP only to loopback addresses)",
                ))
            }
        }
        _ => Err(bad("HTTPS is required")),
    }
}

/// A client for one collector.
#[derive(Debug, Clone)]
pub struct CollectorClient {
    base: Url,
    http: Client,
    retry: RetryPolicy,
}

impl CollectorClient {
    /// A client for `url` (checked with [`check_collector_url`]).
    pub fn new(url: &str, retry: RetryPolicy) -> Result<CollectorClient> {
        let mut base = check_collector_url(url)?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        // rustls with the ring provider; installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let https_only = base.scheme() == "https";
        let http = Client::builder()
            .https_only(https_only)
            .timeout(retry.timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("bestpick")
            .build()
            .map_err(|e| Error::CollectorUrl {
                url: url.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(CollectorClient { base, http, retry })
    }

    /// The collector URL as configured.
    pub fn url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// The URL of bundle `bundle_id` (checked first: it becomes a path segment).
    fn bundle_endpoint(&self, bundle_id: &str) -> Result<Url> {
        check_bundle_id(bundle_id)?;
        self.endpoint(&format!("v1/bundles/{bundle_id}"))
    }

    fn endpoint(&self, path: &str) -> Result<Url> {
        self.base.join(path).map_err(|e| Error::CollectorUrl {
            url: self.base.to_string(),
            reason: e.to_string(),
        })
    }

    /// The collector's origin (`scheme://host[:port]`), as the network log names it.
    pub fn origin(&self) -> String {
        self.base.origin().ascii_serialization()
    }

    /// Sends a request with retries; `make` builds a fresh request per attempt. Every attempt
    /// is logged in `log` (see the module docs); the answer's body is read here so its size is
    /// logged too.
    fn send_logged(
        &self,
        log: &mut dyn RequestLog,
        call: Call<'_>,
        make: &dyn Fn() -> RequestBuilder,
        bytes: u64,
        progress: &mut dyn FnMut(UploadEvent),
    ) -> Result<Answer> {
        let attempts = self.retry.attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            let id = log.begin_request(&NetworkRequest {
                started_at_ms: now_ms(),
                collector: self.origin(),
                method: call.method().to_owned(),
                purpose: call.to_string(),
                attempt,
                bytes_sent: bytes,
                outcome: None,
            })?;
            progress(UploadEvent::Attempt { attempt, bytes });
            let result = make().send().and_then(|res| {
                let status = res.status();
                res.bytes().map(|body| (status, body.to_vec()))
            });
            let (outcome, verdict) = match result {
                Ok((status, body)) if status.is_success() => {
                    (outcome(body.len(), Some(status.as_u16()), None), Ok(body))
                }
                Ok((status, body)) => {
                    let (message, code) = error_message(&body);
                    let failure = format!("{status}: {message}");
                    let answered = outcome(body.len(), Some(status.as_u16()), Some(&failure));
                    if status.is_server_error() || status.as_u16() == 429 {
                        (answered, Err(failure))
                    } else {
                        log.finish_request(id, &answered)?;
                        return Err(Error::Collector {
                            status: status.as_u16(),
                            message,
                            code,
                        });
                    }
                }
                Err(e) => {
                    let failure = describe_reqwest(&e);
                    (outcome(0, None, Some(&failure)), Err(failure))
                }
            };
            log.finish_request(id, &outcome)?;
            match verdict {
                Ok(body) => return Ok(Answer { body }),
                Err(failure) => last = failure,
            }
            if attempt < attempts {
                let wait = self.retry.delay(attempt);
                progress(UploadEvent::Retrying {
                    attempt,
                    wait,
                    reason: last.clone(),
                });
                std::thread::sleep(wait);
            }
        }
        Err(Error::Unreachable {
            attempts,
            message: last,
        })
    }

    /// Fetches the collector's public key (`GET /v1/key`).
    pub fn public_key(&self, log: &mut dyn RequestLog) -> Result<PublicKey> {
        let url = self.endpoint("v1/key")?;
        let answer = self.send_logged(
            log,
            Call::FetchKey,
            &|| self.http.get(url.clone()),
            0,
            &mut |_| {},
        )?;
        let answer: KeyAnswer = answer.json("key")?;
        let key = PublicKey::from_hex(&answer.public_key)?;
        // A collector that names its key's id must name the right one.
        if let Some(id) = answer.key_id
            && !id.eq_ignore_ascii_case(&key.key_id().to_hex())
        {
            return Err(Error::Collector {
                status: 200,
                message: "the key answer's key_id does not match its public key".into(),
                code: None,
            });
        }
        Ok(key)
    }

    /// Uploads a sealed bundle (`POST /v1/bundles`); `anonymous_id` names it in the network
    /// log. The bundle id answered is checked with [`check_bundle_id`]; an invalid one is an
    /// error, as if the upload had failed.
    pub fn upload(
        &self,
        log: &mut dyn RequestLog,
        anonymous_id: &str,
        sealed: &[u8],
        idempotency_key: &str,
        receipt_hash: &str,
        progress: &mut dyn FnMut(UploadEvent),
    ) -> Result<UploadReceipt> {
        let url = self.endpoint("v1/bundles")?;
        let make = || {
            self.http
                .post(url.clone())
                .header(IDEMPOTENCY_HEADER, idempotency_key)
                .header(RECEIPT_HASH_HEADER, receipt_hash)
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(sealed.to_vec())
        };
        let answer = self.send_logged(
            log,
            Call::Upload(anonymous_id),
            &make,
            sealed.len() as u64,
            progress,
        )?;
        let receipt: UploadReceipt = answer.json("upload")?;
        check_bundle_id(&receipt.bundle_id)?;
        progress(UploadEvent::Done {
            bundle_id: receipt.bundle_id.clone(),
        });
        Ok(receipt)
    }

    /// `GET /v1/bundles/{id}` with the receipt token.
    pub fn status(
        &self,
        log: &mut dyn RequestLog,
        bundle_id: &str,
        token: &str,
    ) -> Result<RemoteStatus> {
        let url = self.bundle_endpoint(bundle_id)?;
        self.send_logged(
            log,
            Call::Status(bundle_id),
            &|| self.http.get(url.clone()).bearer_auth(token),
            0,
            &mut |_| {},
        )?
        .json("status")
    }

    /// `DELETE /v1/bundles/{id}` with the receipt token; `withdrawal` says (in the network
    /// log) that it is part of withdrawing consent.
    pub fn delete(
        &self,
        log: &mut dyn RequestLog,
        bundle_id: &str,
        token: &str,
        withdrawal: bool,
    ) -> Result<RemoteStatus> {
        let url = self.bundle_endpoint(bundle_id)?;
        let call = if withdrawal {
            Call::Withdraw(bundle_id)
        } else {
            Call::Delete(bundle_id)
        };
        self.send_logged(
            log,
            call,
            &|| self.http.delete(url.clone()).bearer_auth(token),
            0,
            &mut |_| {},
        )?
        .json("status")
    }
}

/// What a request is for, as the network log says it.
#[derive(Debug, Clone, Copy)]
enum Call<'a> {
    FetchKey,
    /// By the bundle's anonymous id (the collector's id comes with the answer).
    Upload(&'a str),
    Status(&'a str),
    Delete(&'a str),
    Withdraw(&'a str),
}

impl Call<'_> {
    fn method(self) -> &'static str {
        match self {
            Call::FetchKey | Call::Status(_) => "GET",
            Call::Upload(_) => "POST",
            Call::Delete(_) | Call::Withdraw(_) => "DELETE",
        }
    }
}

impl std::fmt::Display for Call<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Call::FetchKey => write!(f, "fetch the collector key"),
            Call::Upload(anon) => write!(f, "upload bundle {anon}"),
            Call::Status(id) => write!(f, "check the status of bundle {id}"),
            Call::Delete(id) => write!(f, "delete bundle {id}"),
            Call::Withdraw(id) => write!(f, "withdraw: delete bundle {id}"),
        }
    }
}

/// A successful answer's body.
struct Answer {
    body: Vec<u8>,
}

impl Answer {
    /// The body as JSON; `what` names the answer in the error.
    fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Collector {
            status: 200,
            message: format!("unreadable {what} answer: {e}"),
            code: None,
        })
    }
}

fn outcome(received: usize, status: Option<u16>, error: Option<&str>) -> RequestOutcome {
    RequestOutcome {
        finished_at_ms: now_ms(),
        bytes_received: received as u64,
        status,
        error: error.map(str::to_owned),
    }
}

/// The wall clock in Unix milliseconds (0 before 1970), for the network log.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The message of an error answer, and its code if it has one.
fn error_message(body: &[u8]) -> (String, Option<String>) {
    let text = String::from_utf8_lossy(body);
    match serde_json::from_str::<ErrorAnswer>(&text) {
        Ok(e) => (e.error, e.code),
        Err(_) => (text.chars().take(200).collect(), None),
    }
}

/// reqwest's Display hides the cause; include the source chain (no bodies, no secrets).
fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{MemoryLedger, RequestId};

    fn one_try() -> RetryPolicy {
        RetryPolicy {
            attempts: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
            timeout: Duration::from_secs(30),
        }
    }

    /// Origin, method, purpose, attempt, bytes sent, status, failed.
    type Summary<'a> = (&'a str, &'a str, String, u32, u64, Option<u16>, bool);

    #[test]
    fn every_request_is_logged_failed_ones_too() {
        let fake = crate::fake_collector::FakeCollector::start();
        let client = CollectorClient::new(&fake.url, one_try()).unwrap();
        let mut log = MemoryLedger::default();
        let token = "secret-receipt-token-0123456789";
        client.public_key(&mut log).unwrap();
        let receipt = client
            .upload(
                &mut log,
                "anon1",
                b"sealed bytes",
                "idem",
                "hash",
                &mut |_| {},
            )
            .unwrap();
        client.status(&mut log, &receipt.bundle_id, token).unwrap();
        let unknown = "0123456789abcdef0123456789abcdef";
        let missing = client.delete(&mut log, unknown, token, true);
        assert!(
            matches!(missing, Err(Error::Collector { status: 404, .. })),
            "{missing:?}"
        );

        let down = CollectorClient::new(
            "http://127.0.0.1:1",
            RetryPolicy {
                attempts: 2,
                ..one_try()
            },
        )
        .unwrap();
        assert!(
            down.public_key(&mut log).is_err(),
            "nothing listens on port 1"
        );

        let logged = log.network_requests().unwrap();
        let summary: Vec<Summary<'_>> = logged
            .iter()
            .map(|r| {
                let o = r.outcome.as_ref().expect("every request ended");
                (
                    r.collector.as_str(),
                    r.method.as_str(),
                    r.purpose.clone(),
                    r.attempt,
                    r.bytes_sent,
                    o.status,
                    o.error.is_some(),
                )
            })
            .collect();
        let (fake_url, down_url) = (fake.url.as_str(), "http://127.0.0.1:1");
        let bundle = &receipt.bundle_id;
        assert_eq!(
            summary,
            vec![
                (
                    fake_url,
                    "GET",
                    "fetch the collector key".into(),
                    1,
                    0,
                    Some(200),
                    false
                ),
                (
                    fake_url,
                    "POST",
                    "upload bundle anon1".into(),
                    1,
                    12,
                    Some(201),
                    false
                ),
                (
                    fake_url,
                    "GET",
                    format!("check the status of bundle {bundle}"),
                    1,
                    0,
                    Some(200),
                    false
                ),
                (
                    fake_url,
                    "DELETE",
                    format!("withdraw: delete bundle {unknown}"),
                    1,
                    0,
                    Some(404),
                    true
                ),
                (
                    down_url,
                    "GET",
                    "fetch the collector key".into(),
                    1,
                    0,
                    None,
                    true
                ),
                (
                    down_url,
                    "GET",
                    "fetch the collector key".into(),
                    2,
                    0,
                    None,
                    true
                ),
            ],
            "one entry per attempt, in order"
        );
        for r in &logged {
            let o = r.outcome.as_ref().expect("ended");
            assert!(o.finished_at_ms >= r.started_at_ms, "{r:?}: times in order");
            let answered = o.status.is_some();
            assert_eq!(
                o.bytes_received > 0,
                answered,
                "{r:?}: a body counted when answered"
            );
            let text = format!("{r:?}");
            assert!(!text.contains(token), "no token in the log: {text}");
            assert!(
                !text.contains("sealed bytes"),
                "no bundle content in the log: {text}"
            );
        }
        assert_eq!(fake.state().requests.len(), 4, "what the collector saw");
    }

    /// A log that refuses every entry.
    struct BrokenLog;

    impl RequestLog for BrokenLog {
        fn begin_request(&mut self, _: &NetworkRequest) -> Result<RequestId> {
            Err(Error::Ledger("disk full".into()))
        }
        fn finish_request(&mut self, _: RequestId, _: &RequestOutcome) -> Result<()> {
            Err(Error::Ledger("disk full".into()))
        }
        fn network_requests(&self) -> Result<Vec<NetworkRequest>> {
            Ok(vec![])
        }
    }

    #[test]
    fn a_request_that_cannot_be_logged_is_not_made() {
        let fake = crate::fake_collector::FakeCollector::start();
        let client = CollectorClient::new(&fake.url, one_try()).unwrap();
        let result = client.public_key(&mut BrokenLog);
        assert!(matches!(result, Err(Error::Ledger(_))), "{result:?}");
        assert!(fake.state().requests.is_empty(), "nothing left the machine");
    }

    #[test]
    fn collector_urls() {
        let cases = [
            ("https://collector.example.org", true),
            ("https://collector.example.org/base/", true),
            ("http://127.0.0.1:8080", true),
            ("http://127.8.9.1:8080", true),
            ("http://[::1]:8080", true),
            ("http://localhost:1234", true),
            ("http://LOCALHOST", true),
            ("http://collector.example.org", false),
            ("http://10.0.0.1", false),
            ("http://192.168.1.2", false),
            ("http://localhost.evil.com", false),
            ("ftp://127.0.0.1", false),
            ("https://user:pw@collector.example.org", false),
            ("not a url", false),
        ];
        for (url, ok) in cases {
            assert_eq!(check_collector_url(url).is_ok(), ok, "case {url}");
        }
    }

    #[test]
    fn bundle_ids_must_be_the_collectors() {
        let good = "0123456789abcdef0123456789abcdef";
        assert!(check_bundle_id(good).is_ok(), "a collector id");
        for id in crate::flow::tests::hostile_ids() {
            let case: String = id.chars().take(40).collect();
            let err = check_bundle_id(&id).expect_err(&case);
            let text = err.to_string();
            assert!(
                text.contains("invalid bundle id") && text.len() < 250,
                "case {case:?}: short, clear error: {text}"
            );
        }
    }

    #[test]
    fn hostile_ids_never_reach_a_url() {
        let fake = crate::fake_collector::FakeCollector::start();
        let retry = RetryPolicy {
            attempts: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
            timeout: Duration::from_secs(30),
        };
        let client = CollectorClient::new(&fake.url, retry).unwrap();
        let mut log = crate::ledger::MemoryLedger::default();
        for id in crate::flow::tests::hostile_ids() {
            let case: String = id.chars().take(40).collect();
            for (what, result) in [
                ("status", client.status(&mut log, &id, "token")),
                ("delete", client.delete(&mut log, &id, "token", false)),
            ] {
                assert!(
                    matches!(result, Err(Error::InvalidBundleId { .. })),
                    "case {case:?} {what}: {result:?}"
                );
            }
        }
        assert!(fake.state().requests.is_empty(), "nothing was requested");
        assert_eq!(log.network_requests().unwrap(), vec![], "nor logged");
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            attempts: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            timeout: Duration::from_secs(1),
        };
        let waits: Vec<u128> = (1..=5).map(|a| p.delay(a).as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 400, 500, 500]);
    }
}
