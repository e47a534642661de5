//! The servers of `tests/services/up.sh` (PostgreSQL and an S3-compatible server) as the
//! deployment-store tests use them: their settings, collector commands against them, stopping
//! and starting one (`tests/services/ctl.sh`), and direct clients of the bucket and database.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use bestpick_bundle::sha256_hex;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;

use super::Collector;
use super::raw::{Answer, request};

/// The receipt token of the bundles these tests upload.
pub const RECEIPT_TOKEN: &str = "services-test-receipt-token-0123456789";

/// What up.sh exported.
pub struct Services {
    pub endpoint: String,
    pub bucket: String,
    pub database: String,
}

impl Services {
    pub fn from_env() -> Option<Services> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let names = [
            "BESTPICK_S3_ENDPOINT",
            "BESTPICK_S3_BUCKET",
            "BESTPICK_DATABASE_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        ];
        let missing: Vec<&str> = names.into_iter().filter(|n| var(n).is_none()).collect();
        if !missing.is_empty() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI=true: the services test needs the servers of tests/services/up.sh \
                 (missing: {missing:?})"
            );
            println!(
                "skipped: no services (run: eval \"$(tests/services/up.sh)\"); missing {missing:?}"
            );
            return None;
        }
        Some(Services {
            endpoint: var("BESTPICK_S3_ENDPOINT")?,
            bucket: var("BESTPICK_S3_BUCKET")?,
            database: var("BESTPICK_DATABASE_URL")?,
        })
    }

    /// `--store s3://BUCKET --s3-endpoint URL --database URL`.
    pub fn store_args(&self) -> Vec<String> {
        vec![
            "--store".into(),
            format!("s3://{}", self.bucket),
            "--s3-endpoint".into(),
            self.endpoint.clone(),
            "--database".into(),
            self.database.clone(),
        ]
    }

    /// The bucket, straight through the S3 API (not through the collector).
    pub fn bucket(&self) -> Arc<dyn ObjectStore> {
        let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(&self.bucket)
            .with_region("us-east-1")
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .build()
            .expect("bucket client");
        Arc::new(store)
    }

    /// Runs `bestpick-collector ARGS...` with the store options appended.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_bestpick-collector"))
            .args(args)
            .args(self.store_args())
            .envs(env.iter().copied())
            .output()
            .expect("run collector")
    }

    /// `export --dataset DATASET --out OUT --key-file KEY` as the operator of `token`; returns
    /// its stdout (fails if the export failed).
    pub fn export(&self, key_file: &Path, dataset: &str, out: &Path, token: &str) -> String {
        let (key_file, out) = (key_file.to_string_lossy(), out.to_string_lossy());
        ok(
            &self.run(
                &[
                    "export",
                    "--dataset",
                    dataset,
                    "--out",
                    &out,
                    "--key-file",
                    &key_file,
                ],
                &[("BESTPICK_OPERATOR_TOKEN", token)],
            ),
            "export",
        )
    }

    /// `serve --listen 127.0.0.1:0 STORE --key-file KEY EXTRA...`, with `env` set.
    pub fn serve(&self, key_file: &Path, extra: &[&str], env: &[(&str, &str)]) -> Collector {
        let mut args: Vec<String> = vec!["--listen".into(), "127.0.0.1:0".into()];
        args.extend(self.store_args());
        args.extend(["--key-file".into(), key_file.to_string_lossy().into_owned()]);
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let data = key_file.parent().unwrap_or(Path::new("."));
        Collector::start_serve_env(&args, env, data)
    }

    /// A new operator (named `name` and a unique suffix); returns their token.
    pub fn operator(&self, name: &str) -> String {
        let name = format!(
            "{name}-{}-{}",
            bestpick_collector::unix_now(),
            bestpick_bundle::random_hex(4).expect("random")
        );
        let added = ok(
            &self.run(&["operators", "add", &name], &[]),
            "operators add",
        );
        added.lines().last().expect("token line").to_owned()
    }

    /// `tests/services/ctl.sh ACTION` (stop-postgres, start-postgres, stop-s3, start-s3).
    pub fn ctl(&self, action: &str) {
        if let Err(e) = self.try_ctl(action) {
            panic!("ctl.sh {action}: {e}");
        }
    }

    /// [`Services::ctl`], returning its failure (for drops, which must not panic).
    pub fn try_ctl(&self, action: &str) -> Result<(), String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/services/ctl.sh");
        let out = Command::new(script)
            .arg(action)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// A direct connection to the database (not through the collector).
    pub fn database(&self, rt: &tokio::runtime::Runtime) -> tokio_postgres::Client {
        let (client, connection) = rt
            .block_on(tokio_postgres::connect(
                &self.database,
                tokio_postgres::NoTls,
            ))
            .expect("connect to the test database");
        rt.spawn(connection);
        client
    }
}

/// Keys of the objects under `bundles/` in the bucket.
pub fn bundle_objects(
    rt: &tokio::runtime::Runtime,
    bucket: &Arc<dyn ObjectStore>,
) -> BTreeSet<String> {
    let listed = rt
        .block_on(bucket.list_with_delimiter(Some(&ObjectPath::from("bundles"))))
        .expect("list the bucket");
    listed
        .objects
        .into_iter()
        .map(|m| m.location.to_string())
        .collect()
}

/// `POST /v1/bundles` with the receipt of [`RECEIPT_TOKEN`].
pub fn post(addr: SocketAddr, body: &[u8], idempotency_key: &str) -> Answer {
    try_post(addr, body, idempotency_key).expect("POST")
}

/// [`post`], with the connection's failure returned.
pub fn try_post(addr: SocketAddr, body: &[u8], idempotency_key: &str) -> std::io::Result<Answer> {
    let head = format!(
        "POST /v1/bundles HTTP/1.1\r\nHost: collector\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\nIdempotency-Key: {idempotency_key}\r\n\
         Bestpick-Receipt-Hash: {}\r\nConnection: close\r\n\r\n",
        body.len(),
        sha256_hex(RECEIPT_TOKEN.as_bytes())
    );
    request(addr, &head, body)
}

/// `METHOD /v1/bundles/ID` with [`RECEIPT_TOKEN`].
pub fn bundle_request(addr: SocketAddr, method: &str, id: &str) -> Answer {
    let head = format!(
        "{method} /v1/bundles/{id} HTTP/1.1\r\nHost: collector\r\n\
         Authorization: Bearer {RECEIPT_TOKEN}\r\nConnection: close\r\n\r\n"
    );
    request(addr, &head, b"").expect(method)
}

/// The id of a 201 answer (fails on any other).
pub fn created_id(answer: &Answer) -> String {
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.json()["bundle_id"]
        .as_str()
        .expect("bundle_id")
        .to_owned()
}

/// Stdout of a command that must have succeeded.
pub fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
