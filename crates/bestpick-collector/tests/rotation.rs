//! Key rotation end to end, against real collector processes on loopback: two instances share
//! one key file; `keys rotate` adds a key, both serve it within seconds without a restart; a
//! bundle staged under the old key is refused as sealed to a retired key, sealed again by the
//! client from its staged copy and accepted; bundles stored under the old key (both envelope
//! versions) still export.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use bestpick_bundle::{Bundle, KeyId, Limits, PublicKey, sealed_key_id, sha256_hex};
use bestpick_collector::keys::{KEY_ENV, load_or_create, read_set};
use bestpick_collector::{DirStore, Store};
use bestpick_share::flow::{Age, ConsentRequest};
use bestpick_share::ledger::{MemoryLedger, NetworkRequest};
use bestpick_share::upload::{CollectorClient, UploadEvent};
use bestpick_share::vault::{MemoryKeyStore, Vault};
use bestpick_share::{Contributor, terms};
use common::{Collector, fixtures, quick_retry};

fn scores(_: &std::path::Path) -> Result<serde_json::Value, String> {
    Ok(serde_json::json!({ "sharpness": 0.5 }))
}

fn collector_cmd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bestpick-collector"))
        .args(args)
        .env_remove(KEY_ENV)
        .output()
        .expect("run collector")
}

/// The key `client` is served, polled until it is `want` (instances look at the key file
/// every few seconds).
fn wait_for_key(client: &CollectorClient, want: &PublicKey) {
    let mut log = MemoryLedger::default();
    let start = Instant::now();
    loop {
        let served = client
            .public_key(&mut log)
            .expect("the collector serves a key");
        if &served == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{} still serves {served:?}, not {want:?}",
            client.url()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn stored_key_id(data: &std::path::Path, bundle_id: &str) -> Option<KeyId> {
    let store = DirStore::open(data).expect("open the collector's store");
    let sealed = store.sealed(bundle_id).expect("the bundle is stored");
    sealed_key_id(&sealed).expect("a sealed bundle")
}

#[test]
fn a_bundle_staged_under_a_rotated_key_is_sealed_again_and_old_bundles_still_export() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data2 = tmp.path().join("data2");
    let key_file = common::key_file(&data);
    let k = key_file.to_str().unwrap();
    // Grace 0: a bundle sealed to the old key is refused at once after the rotation.
    let args = ["--listen", "127.0.0.1:0", "--retired-key-grace", "0"];
    let one = Collector::start(&data, &args[2..]);
    let (_, key_a) = load_or_create(&key_file).unwrap();
    let mut two_args = args.to_vec();
    two_args.extend(["--key-file", k]);
    let two = Collector::start_with(&data2, &two_args);
    let client = CollectorClient::new(&one.url, quick_retry(3)).unwrap();
    let client_two = CollectorClient::new(&two.url, quick_retry(3)).unwrap();
    wait_for_key(&client_two, &key_a);

    let keys = MemoryKeyStore::default();
    let mut ledger = MemoryLedger::default();
    let vault = Vault::open(&tmp.path().join("vault"), &keys).unwrap();
    let mut contributor = Contributor::new(vault, &mut ledger).unwrap();
    contributor
        .give_consent(&ConsentRequest {
            terms_version: terms::CURRENT_VERSION,
            age: Age::Adult,
            buckets: bestpick_bundle::Buckets::default(),
        })
        .unwrap();
    let photo = |name: &str| {
        let dst = tmp.path().join(name);
        std::fs::copy(fixtures().join(name), &dst).unwrap();
        dst
    };
    let preview_dir = tmp.path().join("preview");

    // An old bundle, sent and stored under key A.
    contributor.add(&[photo("exiftool_GPS.jpg")]).unwrap();
    let old = contributor
        .preview(&client, &mut scores, &preview_dir)
        .unwrap();
    let sent = contributor.send(&client, &mut |_, _| {}).unwrap();
    assert_eq!(sent.failed, vec![], "sent before the rotation");
    let old_id = sent.sent[0].1.clone();
    assert_eq!(stored_key_id(&data, &old_id), Some(key_a.key_id()));
    // And one in the first envelope version, as clients before key ids sealed them.
    let sealed_old = DirStore::open(&data).unwrap().sealed(&old_id).unwrap();
    let (secret_a, _) = load_or_create(&key_file).unwrap();
    let archive = bestpick_bundle::open(&secret_a, &sealed_old).unwrap();
    let v1 = bestpick_bundle::seal_v1(&key_a, &archive).unwrap();
    let v1_id = client
        .upload(
            &mut MemoryLedger::default(),
            "v1",
            &v1,
            &bestpick_bundle::random_hex(24).unwrap(),
            &sha256_hex(b"v1 receipt token"),
            &mut |_| {},
        )
        .unwrap()
        .bundle_id;
    assert_eq!(stored_key_id(&data, &v1_id), None, "stored in the old form");

    // A bundle staged under key A, not sent yet.
    contributor.add(&[photo("exiftool_MWG.jpg")]).unwrap();
    let staged = contributor
        .preview(&client, &mut scores, &preview_dir)
        .unwrap();

    // Rotate: the new key's id is printed, never a secret; both instances pick it up.
    let out = collector_cmd(&["keys", "rotate", "--key-file", k]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let (set, _) = read_set(&key_file).unwrap().unwrap();
    let key_b = set.newest().public.clone();
    assert!(printed.contains(&key_b.fingerprint()), "{printed}");
    for key in set.keys() {
        let secret = hex_of(&key.secret.to_bytes());
        assert!(!printed.contains(&secret), "no secret printed: {printed}");
    }
    wait_for_key(&client, &key_b);
    wait_for_key(&client_two, &key_b);

    // Send: refused as sealed to a retired key, sealed again from the staged copy, accepted.
    let mut events = Vec::new();
    let report = contributor
        .send(&client, &mut |_, e| events.push(e))
        .unwrap();
    assert_eq!(report.failed, vec![], "sent after sealing again");
    assert_eq!(report.sent[0].0, staged.anonymous_id);
    let new_id = report.sent[0].1.clone();
    assert!(
        events.contains(&UploadEvent::Resealed {
            key_id: key_b.fingerprint()
        }),
        "{events:?}"
    );
    let uploads: Vec<(String, Option<u16>)> = contributor
        .network_log()
        .unwrap()
        .into_iter()
        .filter(|r: &NetworkRequest| r.method == "POST" && r.purpose.contains(&staged.anonymous_id))
        .map(|r| (r.purpose, r.outcome.and_then(|o| o.status)))
        .collect();
    let purpose = format!("upload bundle {}", staged.anonymous_id);
    assert_eq!(
        uploads,
        vec![(purpose.clone(), Some(409)), (purpose, Some(201))],
        "refused once (key retired), then accepted"
    );
    assert_eq!(stored_key_id(&data, &new_id), Some(key_b.key_id()));

    // Export with the key file: all three bundles open, the old ones with key A.
    let out_dir = tmp.path().join("export");
    let o = out_dir.to_str().unwrap();
    let d = data.to_str().unwrap();
    let printed = Collector::run(&["export", "--data", d, "--dataset", "r1", "--out", o]);
    assert!(printed.contains("exported 3 bundle(s)"), "{printed}");
    for (id, anon) in [
        (&old_id, &old.anonymous_id),
        (&v1_id, &old.anonymous_id),
        (&new_id, &staged.anonymous_id),
    ] {
        let manifest = std::fs::read_to_string(out_dir.join(id).join("manifest.json")).unwrap();
        assert!(manifest.contains(anon.as_str()), "bundle {id}: {manifest}");
    }
    let reopened = bestpick_bundle::open(&set.newest().secret, &{
        DirStore::open(&data).unwrap().sealed(&new_id).unwrap()
    })
    .unwrap();
    Bundle::check_archive(&reopened, &Limits::default()).unwrap();

    // keys list: both, the new one current.
    let listed = collector_cmd(&["keys", "list", "--key-file", k]);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines[0].starts_with(&key_a.fingerprint()) && lines[0].contains("older"));
    assert!(lines[1].starts_with(&key_b.fingerprint()) && lines[1].contains("current"));
    one.stop();
    two.stop();
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn rotating_keys_from_the_environment_says_what_to_do_and_shows_no_secret() {
    let (secret, _) = bestpick_bundle::generate_keypair();
    let hex = hex_of(&secret.to_bytes());
    let out = Command::new(env!("CARGO_BIN_EXE_bestpick-collector"))
        .args(["keys", "rotate"])
        .env(KEY_ENV, &hex)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(KEY_ENV) && stderr.contains("keys rotate --key-file"),
        "{stderr}"
    );
    assert!(!stderr.contains(&hex), "no secret: {stderr}");

    // Several keys in the environment: listed, the last one current.
    let (newer, newer_pk) = bestpick_bundle::generate_keypair();
    let both = format!("{hex} created=1, {} created=2", hex_of(&newer.to_bytes()));
    let out = Command::new(env!("CARGO_BIN_EXE_bestpick-collector"))
        .args(["keys", "list"])
        .env(KEY_ENV, &both)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&newer_pk.fingerprint()) && last.contains("current"),
        "{stdout}"
    );
}
