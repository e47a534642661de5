//! Faults and load on the deployment store, against the real servers of
//! `tests/services/up.sh` (PostgreSQL 15, s3s-fs), as in `services.rs`:
//!
//! - an instance killed (SIGKILL) with one upload between its object and its rows and one
//!   half-way through its body: nothing half visible, the clients' retries through the other
//!   instance store each bundle once, and the orphan object is swept by purge;
//! - the database stopped: uploads and status answer 503 and the contributor's bundle stays
//!   staged; started again, the same process stores it;
//! - the object storage killed: 503, then the same process recovers once it is back;
//! - one idempotency key racing on both instances, several times: one bundle (and one
//!   object) per key;
//! - the maintenance lock's connection killed under an export: the export stops, and the
//!   lock is not silently taken again;
//! - load: 200 small and 8 large bundles at once across two instances; every 201 readable
//!   from the other instance, none duplicated; prints p95 latency and peak RSS per instance.
//!
//! The tests stop and start the shared servers (`tests/services/ctl.sh`) and sweep the
//! bucket with no grace, so they run one at a time. Without the servers they are skipped,
//! except under CI, where they fail.

#![expect(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bestpick_bundle::{PublicKey, random_hex, sha256_hex};
use bestpick_collector::store::{MAINTENANCE_LOCK, StoreError};
use bestpick_collector::{CloudConfig, CloudStore, Store, unix_now};
use bestpick_share::flow::{Age, ConsentRequest};
use bestpick_share::ledger::{ContributionState, Ledger, MemoryLedger};
use bestpick_share::upload::CollectorClient;
use bestpick_share::vault::{MemoryKeyStore, Vault};
use bestpick_share::{Contributor, terms};
use common::raw::{Answer, post_head, proc_kib, sealed_bundle};
use common::services::{Services, bundle_objects, bundle_request, created_id, ok, post, try_post};
use common::{fixtures, quick_retry};

/// The debug-only hook that holds an upload between its object and its rows.
const PAUSE_AFTER_PUT: &str = "BESTPICK_E2E_CLOUD_PAUSE_AFTER_PUT_MS";

static SERIAL: Mutex<()> = Mutex::new(());

/// What every test here starts from: the servers, a key file, a runtime for direct clients.
struct Setup {
    services: Services,
    key_file: PathBuf,
    public: PublicKey,
    rt: tokio::runtime::Runtime,
    _tmp: tempfile::TempDir,
    _serial: MutexGuard<'static, ()>,
}

fn setup() -> Option<Setup> {
    let serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let services = Services::from_env()?;
    let tmp = tempfile::tempdir().unwrap();
    let key_file = tmp.path().join("collector.key");
    let (_, public) = bestpick_collector::keys::load_or_create(&key_file).unwrap();
    Some(Setup {
        services,
        key_file,
        public,
        rt: tokio::runtime::Runtime::new().unwrap(),
        _tmp: tmp,
        _serial: serial,
    })
}

/// An idempotency key used nowhere else (the database outlives test runs).
fn unique_key(tag: &str) -> String {
    format!("{tag}-{}-{}", unix_now(), random_hex(8).unwrap())
}

/// `bundles/ID.sealed` → ID.
fn object_id(key: &str) -> &str {
    key.strip_prefix("bundles/")
        .and_then(|k| k.strip_suffix(".sealed"))
        .unwrap_or_else(|| panic!("not a bundle object: {key}"))
}

fn count(db: &tokio_postgres::Client, rt: &tokio::runtime::Runtime, sql: &str, arg: &str) -> i64 {
    rt.block_on(db.query_one(sql, &[&arg])).unwrap().get(0)
}

/// A server of up.sh stopped for a while: started again when dropped, also when the test
/// fails half-way, so that the next tests find it running.
struct Stopped<'a> {
    services: &'a Services,
    which: &'static str,
    running: bool,
}

impl<'a> Stopped<'a> {
    /// Stops `which` ("postgres" or "s3").
    fn new(services: &'a Services, which: &'static str) -> Stopped<'a> {
        services.ctl(&format!("stop-{which}"));
        Stopped {
            services,
            which,
            running: false,
        }
    }

    fn start(&mut self) {
        if !self.running {
            self.services.ctl(&format!("start-{}", self.which));
            self.running = true;
        }
    }
}

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        if !self.running
            && let Err(e) = self.services.try_ctl(&format!("start-{}", self.which))
        {
            eprintln!("could not start {} again: {e}", self.which);
        }
    }
}

/// Polls `f` every 50 ms until it returns Some or `limit` passes.
fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(v) = f() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn instance_killed_between_object_and_rows_leaves_nothing_half_visible() {
    let Some(s) = setup() else {
        return;
    };
    if !cfg!(debug_assertions) {
        println!("skipped: {PAUSE_AFTER_PUT} works in debug builds only");
        return;
    }
    let paused = s
        .services
        .serve(&s.key_file, &[], &[(PAUSE_AFTER_PUT, "60000")]);
    let other = s.services.serve(&s.key_file, &[], &[]);
    let bucket = s.services.bucket();
    let before = bundle_objects(&s.rt, &bucket);
    let body = Arc::new(sealed_bundle(&s.public, 21, 2, 8 * 1024));
    let key = unique_key("killed-mid-upload");

    // One upload still sending its body when the instance dies, and one past its object.
    let half_key = unique_key("killed-mid-body");
    let mut half_sent = TcpStream::connect(paused.loopback()).unwrap();
    half_sent
        .write_all(post_head(body.len(), &half_key).as_bytes())
        .unwrap();
    half_sent.write_all(&body[..body.len() / 2]).unwrap();
    let upload = {
        let (addr, body, key) = (paused.loopback(), body.clone(), key.clone());
        std::thread::spawn(move || try_post(addr, &body, &key))
    };
    // Its object appears: the instance is between the object and the rows. Kill it there.
    let orphan = wait_for(Duration::from_secs(30), || {
        bundle_objects(&s.rt, &bucket)
            .difference(&before)
            .next()
            .cloned()
    })
    .expect("the paused upload's object");
    paused.stop();
    let answer = upload.join().unwrap();
    assert!(
        answer.as_ref().map_or(true, |a| a.status != 201),
        "no 201 from the killed instance: {answer:?}"
    );
    let added: Vec<String> = bundle_objects(&s.rt, &bucket)
        .difference(&before)
        .cloned()
        .collect();
    assert_eq!(
        added,
        std::slice::from_ref(&orphan),
        "the half-sent body left no object"
    );

    // Nothing half visible: no row, no idempotency entry, 404 from the other instance.
    let orphan_id = object_id(&orphan);
    let db = s.services.database(&s.rt);
    let key_hash = sha256_hex(key.as_bytes());
    let rows_sql = "SELECT count(*) FROM bundles WHERE id = $1";
    let keys_sql = "SELECT count(*) FROM idempotency_keys WHERE key_hash = $1";
    assert_eq!(count(&db, &s.rt, rows_sql, orphan_id), 0, "no row");
    assert_eq!(count(&db, &s.rt, keys_sql, &key_hash), 0, "no key");
    let got = bundle_request(other.loopback(), "GET", orphan_id);
    assert_eq!(got.status, 404, "{}", got.body);

    // The client's retry, through the other instance: stored once, replayed after.
    let id = created_id(&post(other.loopback(), &body, &key));
    assert_ne!(id, orphan_id, "a new bundle, not the orphan");
    assert_eq!(created_id(&post(other.loopback(), &body, &key)), id);
    assert_eq!(count(&db, &s.rt, keys_sql, &key_hash), 1, "one key row");
    let half_id = created_id(&post(other.loopback(), &body, &half_key));
    assert_ne!(
        half_id, id,
        "the half-sent upload's retry is its own bundle"
    );
    let got = bundle_request(other.loopback(), "GET", &id);
    assert_eq!(got.json()["state"], "received", "{}", got.body);

    // Within the sweep's grace the orphan stays (it could be an upload still committing);
    // a purge without grace sweeps it and keeps the bundle.
    let token = s.services.operator("faults");
    let operator = [("BESTPICK_OPERATOR_TOKEN", token.as_str())];
    ok(&s.services.run(&["purge"], &operator), "purge");
    assert!(
        bundle_objects(&s.rt, &bucket).contains(&orphan),
        "kept in the grace"
    );
    let purged = ok(
        &s.services.run(&["purge", "--sweep-after", "0"], &operator),
        "purge",
    );
    let after = bundle_objects(&s.rt, &bucket);
    assert!(!after.contains(&orphan), "orphan swept: {purged}");
    assert!(after.contains(&format!("bundles/{id}.sealed")), "{purged}");
    other.stop();
}

fn scores(_: &Path) -> Result<serde_json::Value, String> {
    Ok(serde_json::json!({ "sharpness": 0.5 }))
}

/// A contributor (bestpick-share) with one photo staged for a collector.
struct Contribution {
    _tmp: tempfile::TempDir,
    vault_dir: PathBuf,
    keys: MemoryKeyStore,
    ledger: MemoryLedger,
}

impl Contribution {
    fn staged(collector: &CollectorClient) -> Contribution {
        let tmp = tempfile::tempdir().unwrap();
        let photo = tmp.path().join("IMG_0001.JPG");
        std::fs::copy(fixtures().join("exiftool_GPS.jpg"), &photo).unwrap();
        let mut c = Contribution {
            vault_dir: tmp.path().join("vault"),
            keys: MemoryKeyStore::default(),
            ledger: MemoryLedger::default(),
            _tmp: tmp,
        };
        let preview = c.vault_dir.with_file_name("preview");
        let mut contributor = c.contributor();
        contributor
            .give_consent(&ConsentRequest {
                terms_version: terms::CURRENT_VERSION,
                age: Age::Adult,
                buckets: Default::default(),
            })
            .unwrap();
        contributor.add(&[photo]).unwrap();
        contributor
            .preview(collector, &mut scores, &preview)
            .unwrap();
        c
    }

    fn contributor(&mut self) -> Contributor<'_> {
        let vault = Vault::open(&self.vault_dir, &self.keys).unwrap();
        Contributor::new(vault, &mut self.ledger).unwrap()
    }

    fn staged_files(&self) -> usize {
        std::fs::read_dir(&self.vault_dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("staged-"))
            .count()
    }
}

#[test]
fn database_down_answers_503_keeps_the_bundle_staged_and_recovers() {
    let Some(s) = setup() else {
        return;
    };
    let a = s.services.serve(&s.key_file, &[], &[]);
    let first = created_id(&post(
        a.loopback(),
        &sealed_bundle(&s.public, 31, 1, 4096),
        &unique_key("db-up"),
    ));
    let collector = CollectorClient::new(&a.url, quick_retry(2)).unwrap();
    let mut contribution = Contribution::staged(&collector);
    let body = sealed_bundle(&s.public, 32, 1, 4096);
    let key = unique_key("db-down");

    let mut postgres = Stopped::new(&s.services, "postgres");
    let down = post(a.loopback(), &body, &key);
    assert_eq!(down.status, 503, "upload: {}", down.body);
    let message = down.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("database"), "says what is down: {message}");
    assert!(down.header("retry-after").is_some(), "says when to retry");
    let status = bundle_request(a.loopback(), "GET", &first);
    assert_eq!(status.status, 503, "status: {}", status.body);
    let report = contribution
        .contributor()
        .send(&collector, &mut |_, _| {})
        .unwrap();
    assert!(
        report.sent.is_empty(),
        "nothing sent while the database is down"
    );
    assert!(
        report.failed[0].1.contains("stays staged"),
        "{:?}",
        report.failed
    );
    assert_eq!(contribution.staged_files(), 1, "still staged");
    let record = &contribution.ledger.contributions().unwrap()[0];
    assert_eq!(record.state, ContributionState::Staged);

    // Back: the same process serves again, without a restart.
    postgres.start();
    let id = created_id(&post(a.loopback(), &body, &key));
    let got = bundle_request(a.loopback(), "GET", &first);
    assert_eq!(got.status, 200, "{}", got.body);
    let report = contribution
        .contributor()
        .send(&collector, &mut |_, _| {})
        .unwrap();
    assert_eq!(report.sent.len(), 1, "sent once back: {:?}", report.failed);
    assert_eq!(contribution.staged_files(), 0, "staged copy gone once sent");
    let got = bundle_request(a.loopback(), "GET", &id);
    assert_eq!(got.json()["state"], "received", "{}", got.body);
    a.stop();
}

#[test]
fn object_storage_down_answers_503_and_recovers() {
    let Some(s) = setup() else {
        return;
    };
    let a = s.services.serve(&s.key_file, &[], &[]);
    let first = created_id(&post(
        a.loopback(),
        &sealed_bundle(&s.public, 41, 1, 4096),
        &unique_key("s3-up"),
    ));
    let body = sealed_bundle(&s.public, 42, 1, 4096);
    let key = unique_key("s3-down");

    let mut s3 = Stopped::new(&s.services, "s3");
    let started = Instant::now();
    let down = post(a.loopback(), &body, &key);
    let took = started.elapsed();
    assert_eq!(down.status, 503, "upload: {}", down.body);
    let message = down.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.contains("object storage"),
        "says what is down: {message}"
    );
    assert!(down.header("retry-after").is_some(), "says when to retry");
    assert!(took < Duration::from_secs(20), "answered in {took:?}");
    // Rows are in the database: status still answers.
    let got = bundle_request(a.loopback(), "GET", &first);
    assert_eq!(got.status, 200, "{}", got.body);

    s3.start();
    let id = created_id(&post(a.loopback(), &body, &key));
    let got = bundle_request(a.loopback(), "GET", &id);
    assert_eq!(got.json()["state"], "received", "{}", got.body);
    let objects = bundle_objects(&s.rt, &s.services.bucket());
    assert!(objects.contains(&format!("bundles/{id}.sealed")), "stored");
    println!("object storage down: 503 after {took:?}");
    a.stop();
}

#[test]
fn one_key_racing_on_both_instances_makes_one_bundle() {
    let Some(s) = setup() else {
        return;
    };
    let a = s.services.serve(&s.key_file, &[], &[]);
    let b = s.services.serve(&s.key_file, &[], &[]);
    let bucket = s.services.bucket();
    let db = s.services.database(&s.rt);
    let before = bundle_objects(&s.rt, &bucket);
    let mut ids = BTreeSet::new();
    for round in 0..8u8 {
        let body = sealed_bundle(&s.public, 50 + round, 1, 4096);
        let key = unique_key("race");
        let go = Barrier::new(2);
        let (x, y) = std::thread::scope(|scope| {
            let send = |addr: SocketAddr| {
                go.wait();
                post(addr, &body, &key)
            };
            let (a_addr, b_addr) = (a.loopback(), b.loopback());
            let x = scope.spawn(move || send(a_addr));
            let y = scope.spawn(move || send(b_addr));
            (x.join().unwrap(), y.join().unwrap())
        });
        let id = created_id(&x);
        assert_eq!(created_id(&y), id, "round {round}: one bundle for one key");
        let key_rows = count(
            &db,
            &s.rt,
            "SELECT count(*) FROM idempotency_keys WHERE key_hash = $1",
            &sha256_hex(key.as_bytes()),
        );
        assert_eq!(key_rows, 1, "round {round}");
        ids.insert(format!("bundles/{id}.sealed"));
    }
    // The losers removed their objects: exactly one new object per key.
    let added: BTreeSet<String> = bundle_objects(&s.rt, &bucket)
        .difference(&before)
        .cloned()
        .collect();
    assert_eq!(added, ids, "one object per key, no orphans");
    a.stop();
    b.stop();
}

#[test]
fn export_stops_when_the_maintenance_lock_connection_is_lost() {
    let Some(s) = setup() else {
        return;
    };
    let store = CloudStore::open(&CloudConfig {
        bucket: s.services.bucket.clone(),
        endpoint: Some(s.services.endpoint.clone()),
        region: "us-east-1".into(),
        database_url: s.services.database.clone(),
        sweep_after: bestpick_collector::store::DEFAULT_SWEEP_AFTER,
    })
    .unwrap();
    let db = s.services.database(&s.rt);
    let guard = store.maintenance_lock().unwrap();
    // Its session, as pg_locks shows a bigint advisory key: high and low 32 bits.
    let (high, low) = (MAINTENANCE_LOCK >> 32, MAINTENANCE_LOCK & 0xffff_ffff);
    let holder: i32 =
        s.rt.block_on(db.query_one(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
             AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1",
            &[&high, &low],
        ))
        .unwrap()
        .get(0);
    s.rt.block_on(db.execute("SELECT pg_terminate_backend($1)", &[&holder]))
        .unwrap();

    let err = store
        .record_export("ds-lost", &random_hex(16).unwrap(), &[], unix_now())
        .unwrap_err();
    assert!(matches!(err, StoreError::MaintenanceLockLost), "{err}");
    assert!(err.to_string().contains("lock was lost"), "{err}");
    let err = store.log_access(unix_now(), "t", "export x").unwrap_err();
    assert!(matches!(err, StoreError::MaintenanceLockLost), "{err}");
    let err = store.purge(unix_now()).unwrap_err();
    assert!(matches!(err, StoreError::MaintenanceLockLost), "{err}");
    // Not taken again behind the caller's back: another session gets it.
    let free: bool =
        s.rt.block_on(db.query_one("SELECT pg_try_advisory_lock($1)", &[&MAINTENANCE_LOCK]))
            .unwrap()
            .get(0);
    assert!(free, "the lost lock is free, not silently held again");
    s.rt.block_on(db.execute("SELECT pg_advisory_unlock($1)", &[&MAINTENANCE_LOCK]))
        .unwrap();
    drop(guard);
    // A new guard takes it afresh, and the pool serves the store as before.
    let again = store.maintenance_lock().unwrap();
    store.log_access(unix_now(), "t", "after").unwrap();
    drop(again);
    assert!(store.live_bundles().is_ok());
}

/// Percentile `p` (0..=100) of sorted durations.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// One upload of the load test, retried after a short pause while the instance sheds load,
/// as a client would: a 503, or the connection closed under a body still being sent (the 503
/// of a busy instance comes before it reads the body, and it closes the connection). Returns
/// the answer, the time of the accepted attempt, the time from the first attempt, and the
/// attempts.
fn upload_with_retries(
    addr: SocketAddr,
    body: &[u8],
    key: &str,
) -> (Answer, Duration, Duration, u32) {
    let start = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let sent = Instant::now();
        match try_post(addr, body, key) {
            Ok(answer) if answer.status != 503 => {
                return (answer, sent.elapsed(), start.elapsed(), attempts);
            }
            Ok(_) | Err(_) if attempts < 50 => {}
            Ok(answer) => panic!(
                "{key}: still 503 after {attempts} attempts: {}",
                answer.body
            ),
            Err(e) => panic!("{key}: still failing after {attempts} attempts: {e}"),
        }
        let jitter = random_hex(1).map_or(0, |h| u64::from_str_radix(&h, 16).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(50 + jitter / 2));
    }
}

#[test]
fn load_200_small_and_8_large_bundles_across_two_instances() {
    let Some(s) = setup() else {
        return;
    };
    const SMALL: usize = 200;
    const LARGE: usize = 8;
    // Slots for a server's share of the clients; no per-address limit (all come from
    // 127.0.0.1).
    let extra = ["--max-uploads", "32", "--rate-limit-per-minute", "100000"];
    let instances = [
        s.services.serve(&s.key_file, &extra, &[]),
        s.services.serve(&s.key_file, &extra, &[]),
    ];
    let rss_before: Vec<u64> = instances
        .iter()
        .map(|c| proc_kib(c.pid(), "VmRSS"))
        .collect();
    // Small: 2 images of 16 KiB (a few thumbnails); large: 8 images of 2 MiB (a shoot's
    // worth of full-size JPEGs). Each upload has its own key.
    let small = Arc::new(sealed_bundle(&s.public, 61, 2, 16 * 1024));
    let large = Arc::new(sealed_bundle(&s.public, 62, 8, 2 * 1024 * 1024));
    let run = unique_key("load");
    let go = Arc::new(Barrier::new(SMALL + LARGE));
    let started = Instant::now();
    let clients: Vec<_> = (0..SMALL + LARGE)
        .map(|n| {
            let is_large = n >= SMALL;
            let body = if is_large {
                large.clone()
            } else {
                small.clone()
            };
            let addr = instances[n % 2].loopback();
            let key = format!("{run}-{n:03}");
            let go = go.clone();
            std::thread::spawn(move || {
                go.wait();
                (n, is_large, upload_with_retries(addr, &body, &key))
            })
        })
        .collect();
    let results: Vec<_> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let total = started.elapsed();
    let peaks: Vec<u64> = instances
        .iter()
        .map(|c| proc_kib(c.pid(), "VmHWM"))
        .collect();

    let mut ids = BTreeSet::new();
    let (mut small_ms, mut large_ms, mut small_e2e, mut large_e2e) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut retries = 0;
    for (n, is_large, (answer, accepted, from_first, attempts)) in &results {
        let id = created_id(answer);
        assert!(ids.insert(id.clone()), "upload {n}: duplicate id {id}");
        retries += attempts - 1;
        if *is_large {
            large_ms.push(*accepted);
            large_e2e.push(*from_first);
        } else {
            small_ms.push(*accepted);
            small_e2e.push(*from_first);
        }
    }
    // Every 201 is readable through the other instance, and its object is in the bucket.
    let objects = bundle_objects(&s.rt, &s.services.bucket());
    for (n, _, (answer, ..)) in &results {
        let id = answer.json()["bundle_id"].as_str().unwrap().to_owned();
        let got = bundle_request(instances[(n + 1) % 2].loopback(), "GET", &id);
        assert_eq!(got.status, 200, "upload {n}: {}", got.body);
        assert_eq!(got.json()["state"], "received", "upload {n}");
        assert!(
            objects.contains(&format!("bundles/{id}.sealed")),
            "upload {n}"
        );
    }
    let db = s.services.database(&s.rt);
    let rows: i64 =
        s.rt.block_on(db.query_one(
            "SELECT count(*) FROM bundles WHERE id = ANY($1) AND state = 'received'",
            &[&ids.iter().collect::<Vec<_>>()],
        ))
        .unwrap()
        .get(0);
    assert_eq!(rows, i64::try_from(SMALL + LARGE).unwrap(), "one row each");

    for v in [&mut small_ms, &mut large_ms, &mut small_e2e, &mut large_e2e] {
        v.sort();
    }
    let ms = |d: Duration| d.as_millis();
    println!(
        "load: {SMALL} small ({} KiB) + {LARGE} large ({} MiB) bundles across 2 instances in \
         {:.1} s, {retries} retries after 503 (busy) or a closed connection",
        small.len() / 1024,
        large.len() / (1024 * 1024),
        total.as_secs_f64()
    );
    println!(
        "load: accepted request, p50/p95/max: small {}/{}/{} ms, large {}/{}/{} ms; from the \
         first attempt, p95: small {} ms, large {} ms",
        ms(percentile(&small_ms, 50)),
        ms(percentile(&small_ms, 95)),
        ms(percentile(&small_ms, 100)),
        ms(percentile(&large_ms, 50)),
        ms(percentile(&large_ms, 95)),
        ms(percentile(&large_ms, 100)),
        ms(percentile(&small_e2e, 95)),
        ms(percentile(&large_e2e, 95)),
    );
    for (name, (before, peak)) in ["A", "B"].iter().zip(rss_before.iter().zip(&peaks)) {
        println!(
            "load: instance {name}: RSS {} MiB before, peak {} MiB",
            before / 1024,
            peak / 1024
        );
    }
    // Sanity bounds only: the figures are for the README, not a benchmark gate.
    assert!(total < Duration::from_secs(120), "took {total:?}");
    for peak in &peaks {
        assert!(*peak < 2 * 1024 * 1024, "peak RSS {} MiB", peak / 1024);
    }

    // Withdrawn again (through 8 clients), so that later tests on this database, which
    // export every live bundle, do not export these too.
    let all: Vec<String> = ids.into_iter().collect();
    std::thread::scope(|scope| {
        for (n, chunk) in all.chunks(all.len().div_ceil(8)).enumerate() {
            let addr = instances[n % 2].loopback();
            scope.spawn(move || {
                for id in chunk {
                    let gone = bundle_request(addr, "DELETE", id);
                    assert_eq!(gone.status, 200, "DELETE {id}: {}", gone.body);
                }
            });
        }
    });
    for c in instances {
        c.stop();
    }
}
