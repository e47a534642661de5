//! Reaching the deployment store's servers: the S3 client, the PostgreSQL connection (TLS,
//! migrations), the local spool folder for bodies being received, and URLs with their
//! password masked for messages.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::{BackoffConfig, ObjectStore, RetryConfig};
use tokio_postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{CloudConfig, pg};
use crate::store::{StoreError, StoreResult};

/// Advisory lock key of schema migrations ("bestpick" in ASCII, minus one).
const MIGRATION_LOCK: i64 = 0x6265_7374_7069_636a;
/// The checked-in migrations (`migrations/*.sql`), applied in order at start.
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("../../../migrations/0001_init.sql"))];

/// How long opening a database connection may take, unless the URL says (`connect_timeout`).
const DATABASE_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request to object storage may take, its retries included: object_store's
/// default (3 min) would hold an upload that long while the server is down, where the
/// client, told 503, keeps its bundle staged and tries again later.
const OBJECT_RETRY_TIMEOUT: Duration = Duration::from_secs(10);
/// Retries of one request to object storage (5xx, timeouts, connection errors).
const OBJECT_RETRIES: usize = 3;

pub(super) fn object_store(config: &CloudConfig) -> StoreResult<Arc<dyn ObjectStore>> {
    let retry = RetryConfig {
        backoff: BackoffConfig::default(),
        max_retries: OBJECT_RETRIES,
        retry_timeout: OBJECT_RETRY_TIMEOUT,
    };
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&config.bucket)
        .with_region(&config.region)
        // object_store's client connects within 5 s and answers within 30 s by default.
        .with_retry(retry);
    if let Some(endpoint) = &config.endpoint {
        if endpoint.starts_with("http://") {
            if !is_loopback_url(endpoint) {
                return Err(StoreError::Setup(format!(
                    "--s3-endpoint {endpoint}: plain http is allowed on a loopback host only; \
                     use https"
                )));
            }
            builder = builder.with_allow_http(true);
        }
        builder = builder.with_endpoint(endpoint);
    }
    let store = builder.build().map_err(|e| {
        StoreError::Setup(format!(
            "object storage s3://{} is not usable: {e}",
            config.bucket
        ))
    })?;
    Ok(Arc::new(store))
}

/// Whether an `http://` URL names 127.0.0.0/8, ::1 or localhost.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// TLS for the database connection: rustls on ring, verified against the system's roots
/// (none loaded: a server offering TLS is refused, unless the URL says `sslmode=disable`).
pub(super) fn database_tls() -> MakeRustlsConnect {
    match MakeRustlsConnect::with_native_certs() {
        Ok((tls, _unreadable)) => tls,
        Err(_) => MakeRustlsConnect::new(
            tokio_rustls::rustls::ClientConfig::builder()
                .with_root_certificates(tokio_rustls::rustls::RootCertStore::empty())
                .with_no_client_auth(),
        ),
    }
}

pub(super) async fn connect(url: &str, tls: &MakeRustlsConnect) -> StoreResult<Client> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
        StoreError::Setup(format!(
            "--database {}: not a PostgreSQL URL: {e}",
            redact_url(url)
        ))
    })?;
    if config.get_password().is_none()
        && let Ok(password) = std::env::var("PGPASSWORD")
    {
        config.password(password);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(DATABASE_CONNECT_TIMEOUT);
    }
    let (client, connection) =
        config
            .connect(tls.clone())
            .await
            .map_err(|source| StoreError::Connect {
                url: redact_url(url),
                source,
            })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("collector: database connection lost: {e}");
        }
    });
    Ok(client)
}

/// Applies the migrations not applied yet, one instance at a time.
pub(super) async fn migrate(client: &mut Client) -> StoreResult<()> {
    let tx = client
        .transaction()
        .await
        .map_err(pg("starting the migrations"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg("taking the migration lock"))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at BIGINT NOT NULL
         )",
    )
    .await
    .map_err(pg("creating schema_migrations"))?;
    for (version, sql) in MIGRATIONS {
        let done = tx
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )
            .await
            .map_err(pg("reading schema_migrations"))?;
        if done.is_some() {
            continue;
        }
        tx.batch_execute(sql)
            .await
            .map_err(pg("applying a migration"))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[version, &crate::unix_now()],
        )
        .await
        .map_err(pg("recording a migration"))?;
    }
    tx.commit().await.map_err(pg("committing the migrations"))
}

const SPOOL_PREFIX: &str = "bestpick-collector-spool-";

/// A new private folder for the bodies being received (sealed bodies; removed on drop), named
/// after this process and a random part; it must not exist yet, so that nobody can have
/// prepared it. The folders of collector processes that are gone (killed, so no drop ran)
/// and were made by the same user are removed.
pub(super) fn spool_dir() -> StoreResult<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let random = bestpick_bundle::random_hex(8)
        .map_err(|e| StoreError::Setup(format!("naming the spool folder: {e}")))?;
    let tmp = std::env::temp_dir();
    let dir = tmp.join(format!("{SPOOL_PREFIX}{}-{random}", std::process::id()));
    let io = |source| StoreError::Io {
        path: dir.clone(),
        source,
    };
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(io)?;
    let uid = std::fs::metadata(&dir).map_err(io)?.uid();
    for entry in std::fs::read_dir(&tmp).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(SPOOL_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let gone = !std::path::Path::new("/proc").join(pid.to_string()).exists();
        let ours = entry
            .path()
            .symlink_metadata()
            .is_ok_and(|m| m.is_dir() && m.uid() == uid);
        if gone && ours {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    Ok(dir)
}

/// `url` with its password masked, for messages: `postgres://user:***@host/db`. A password
/// given as a `password=` parameter is masked too.
pub fn redact_url(url: &str) -> String {
    let mut out = match url.split_once("://") {
        Some((scheme, rest)) => {
            // Up to the last '@' before the query: a password may hold an unencoded '/'.
            let end = rest.find('?').unwrap_or(rest.len());
            let (before_query, query) = rest.split_at(end);
            match before_query.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or_default();
                    let masked = if userinfo.contains(':') {
                        format!("{user}:***")
                    } else {
                        user.to_owned()
                    };
                    format!("{scheme}://{masked}@{host}{query}")
                }
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    };
    // `password=...` in a query string or a key=value connection string.
    let mut from = 0;
    while let Some(at) = out[from..].find("password=") {
        let start = from + at + "password=".len();
        let end = out[start..]
            .find(['&', ' '])
            .map_or(out.len(), |e| start + e);
        out.replace_range(start..end, "***");
        from = start + 3;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            redact_url("postgres://ana:s3cret@db.example:5432/collector"),
            "postgres://ana:***@db.example:5432/collector"
        );
        assert_eq!(
            redact_url("postgres://ana@127.0.0.1/c?password=s3cret&sslmode=disable"),
            "postgres://ana@127.0.0.1/c?password=***&sslmode=disable"
        );
        assert_eq!(
            redact_url("host=/tmp user=ana password=s3cret dbname=c"),
            "host=/tmp user=ana password=*** dbname=c"
        );
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert!(!redact_url("postgresql://a:p%40ss@h/db").contains("p%40ss"));
        assert_eq!(
            redact_url("postgres://a:p/s@s@h/db"),
            "postgres://a:***@h/db"
        );
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(is_loopback_url("http://127.0.0.1:9000"));
        assert!(is_loopback_url("http://localhost:9000/"));
        assert!(is_loopback_url("http://[::1]:9000"));
        assert!(!is_loopback_url("http://10.0.0.5:9000"));
        assert!(!is_loopback_url("http://s3.example"));
    }
}
