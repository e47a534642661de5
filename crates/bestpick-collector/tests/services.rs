//! The deployment store against real servers: two `serve` instances on one S3 bucket (s3s-fs)
//! and one PostgreSQL database act as one service. Upload through A and repeat the
//! idempotency key through B (one id; also when both get it at once), delete through B and A
//! answers deleted, export once with an operator token, purge, and the sweep of an object
//! that has no row.
//!
//! The servers come from `tests/services/up.sh` (which `./dev test` runs):
//! `eval "$(tests/services/up.sh)"`, then `cargo test -p bestpick-collector --test services`,
//! then `tests/services/down.sh`. Without its variables the test is skipped, except under CI,
//! where it fails.

#![expect(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

mod common;

use std::process::Command;
use std::sync::Arc;

use common::Collector;
use common::raw::sealed_bundle;
use common::services::{Services, bundle_request, created_id, ok, post};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

fn object_exists(rt: &tokio::runtime::Runtime, bucket: &Arc<dyn ObjectStore>, key: &str) -> bool {
    match rt.block_on(bucket.head(&ObjectPath::from(key))) {
        Ok(_) => true,
        Err(object_store::Error::NotFound { .. }) => false,
        Err(e) => panic!("HEAD {key}: {e}"),
    }
}

#[test]
fn two_instances_on_one_bucket_and_database_act_as_one() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let key_file = tmp.path().join("collector.key");
    let key_file_arg = key_file.to_string_lossy().into_owned();
    let mut serve_args: Vec<String> = vec!["--listen".into(), "127.0.0.1:0".into()];
    serve_args.extend(services.store_args());
    serve_args.extend(["--key-file".into(), key_file_arg.clone()]);
    let serve_args: Vec<&str> = serve_args.iter().map(String::as_str).collect();
    // A creates the key; B is started after A printed its address, so it reads the same key.
    let a = Collector::start_serve(&serve_args, tmp.path());
    let b = Collector::start_serve(&serve_args, tmp.path());
    let (_, public) = bestpick_collector::keys::load_or_create(&key_file).unwrap();

    // Upload through A; the same key through B answers with A's bundle.
    let run = bestpick_collector::unix_now();
    let body = sealed_bundle(&public, 3, 2, 4 * 1024);
    let key = format!("services-{run}-{}", std::process::id());
    let id = created_id(&post(a.loopback(), &body, &key));
    assert_eq!(
        created_id(&post(b.loopback(), &body, &key)),
        id,
        "replay on B"
    );

    // A new key given to both at once: one commit wins, both answer its id.
    let key2 = format!("{key}-race");
    let body2 = sealed_bundle(&public, 4, 1, 4 * 1024);
    let (a_addr, b_addr) = (a.loopback(), b.loopback());
    let (first, second) = std::thread::scope(|s| {
        let x = s.spawn(|| post(a_addr, &body2, &key2));
        let y = s.spawn(|| post(b_addr, &body2, &key2));
        (x.join().unwrap(), y.join().unwrap())
    });
    let raced = created_id(&first);
    assert_eq!(created_id(&second), raced, "one bundle for one key");

    // Both instances see both bundles.
    for (name, c) in [("A", &a), ("B", &b)] {
        for id in [&id, &raced] {
            let got = bundle_request(c.loopback(), "GET", id);
            assert_eq!(got.status, 200, "{name} GET {id}: {}", got.body);
            assert_eq!(got.json()["state"], "received", "{name}");
        }
    }

    // Export once, as an operator.
    let operator = format!("tests-{run}-{}", std::process::id());
    let added = ok(
        &services.run(&["operators", "add", &operator], &[]),
        "operators add",
    );
    let token = added.lines().last().unwrap().to_owned();
    let out = tmp.path().join("export");
    let out_arg = out.to_string_lossy().into_owned();
    let dataset = format!("ds{run}");
    let exported = ok(
        &services.run(
            &[
                "export",
                "--dataset",
                &dataset,
                "--out",
                &out_arg,
                "--key-file",
                &key_file_arg,
            ],
            &[("BESTPICK_OPERATOR_TOKEN", &token)],
        ),
        "export",
    );
    assert!(exported.starts_with("exported "), "{exported}");
    assert!(out.join(&id).join("manifest.json").is_file(), "{exported}");
    assert!(out.join(&raced).join("manifest.json").is_file());
    let got = bundle_request(a.loopback(), "GET", &id);
    assert_eq!(got.json()["datasets"][0], dataset.as_str(), "{}", got.body);
    let refused = services.run(
        &[
            "export",
            "--dataset",
            "x",
            "--out",
            &out_arg,
            "--key-file",
            &key_file_arg,
        ],
        &[("BESTPICK_OPERATOR_TOKEN", "not-a-token")],
    );
    assert!(!refused.status.success(), "export needs an operator token");

    // Delete through B: A answers deleted, the object and the exported copy are gone.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bucket = services.bucket();
    let object = format!("bundles/{id}.sealed");
    assert!(object_exists(&rt, &bucket, &object), "stored in the bucket");
    let deleted = bundle_request(b.loopback(), "DELETE", &id);
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let got = bundle_request(a.loopback(), "GET", &id);
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.json()["state"], "deleted", "A sees B's delete");
    assert!(!object_exists(&rt, &bucket, &object), "object removed");
    assert!(
        !out.join(&id).join("manifest.json").exists(),
        "export copy removed"
    );
    // The deleted bundle's key is free again; the other bundle stays.
    let again = created_id(&post(a.loopback(), &body, &key));
    assert_ne!(again, id, "a new bundle after the delete");

    // An object with no row (an upload cut off between put and commit) is swept by purge;
    // live bundles are not.
    let orphan = format!(
        "bundles/{}.sealed",
        bestpick_bundle::random_hex(16).unwrap()
    );
    rt.block_on(bucket.put(
        &ObjectPath::from(orphan.as_str()),
        PutPayload::from_static(b"x"),
    ))
    .unwrap();
    let purged = ok(
        &services.run(
            &["purge", "--sweep-after", "0"],
            &[("BESTPICK_OPERATOR_TOKEN", &token)],
        ),
        "purge",
    );
    assert!(purged.contains("orphan object(s)"), "{purged}");
    assert!(!purged.contains(" 0 orphan"), "{purged}");
    assert!(!object_exists(&rt, &bucket, &orphan), "orphan swept");
    for live in [&raced, &again] {
        assert!(
            object_exists(&rt, &bucket, &format!("bundles/{live}.sealed")),
            "live bundle {live} kept"
        );
        let got = bundle_request(b.loopback(), "GET", live);
        assert_eq!(got.json()["state"], "received");
    }

    a.stop();
    b.stop();
}

#[test]
fn purge_waits_while_another_process_holds_the_maintenance_lock() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (client, connection) = rt
        .block_on(tokio_postgres::connect(
            &services.database,
            tokio_postgres::NoTls,
        ))
        .unwrap();
    rt.spawn(connection);
    let lock = bestpick_collector::store::MAINTENANCE_LOCK;
    let operator = format!(
        "lock-{}-{}",
        bestpick_collector::unix_now(),
        std::process::id()
    );
    let added = ok(
        &services.run(&["operators", "add", &operator], &[]),
        "operators add",
    );
    let token = added.lines().last().unwrap().to_owned();

    // Another "instance" runs an export or a purge: this purge waits for it.
    rt.block_on(client.execute("SELECT pg_advisory_lock($1)", &[&lock]))
        .unwrap();
    let mut purge = Command::new(env!("CARGO_BIN_EXE_bestpick-collector"))
        .arg("purge")
        .args(services.store_args())
        .env("BESTPICK_OPERATOR_TOKEN", &token)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        purge.try_wait().unwrap().is_none(),
        "purge ran while the lock was held"
    );
    rt.block_on(client.execute("SELECT pg_advisory_unlock($1)", &[&lock]))
        .unwrap();
    let out = purge.wait_with_output().unwrap();
    assert!(out.status.success(), "purge after the lock was released");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("purged "));
}

#[test]
fn database_password_never_shows_in_errors() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let secret = "wrong-password-never-printed";
    let url = with_password(&services.database, secret);
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bestpick-collector"))
        .args(["serve", "--listen", "127.0.0.1:0", "--store"])
        .arg(format!("s3://{}", services.bucket))
        .args(["--s3-endpoint", &services.endpoint, "--database", &url])
        .arg("--key-file")
        .arg(tmp.path().join("k.key"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "a wrong password is refused");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains(secret), "password printed: {text}");
    assert!(text.contains(":***@"), "the URL is named, masked: {text}");
}

/// `url` with its password replaced by `password`.
fn with_password(url: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (userinfo, host) = rest.split_once('@').unwrap();
    let user = userinfo.split(':').next().unwrap();
    format!("{scheme}://{user}:{password}@{host}")
}
