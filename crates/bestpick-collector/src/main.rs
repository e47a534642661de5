//! `bestpick-collector serve | export | purge | operators add | keys rotate | keys list`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bestpick_collector::store::DEFAULT_SWEEP_AFTER;
use bestpick_collector::{
    AppState, CloudConfig, CloudStore, Config, DirStore, ServeOptions, Store, app,
    check_listen_address, export, keys, operators, serve, tls_config, unix_now,
};
use clap::{Args, Parser, Subcommand};

/// `--version`: the package version and the git commit it was built from ("unknown" when
/// built outside a git checkout; see build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BESTPICK_GIT_COMMIT"),
    ")"
);

#[derive(Parser)]
#[command(
    name = "bestpick-collector",
    version = VERSION,
    about = "Receives bestpick contribution bundles"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the private key comes from --key-file, created on first start, or
    /// from BESTPICK_COLLECTOR_KEY; never from the data folder).
    Serve(ServeArgs),
    /// Write decrypted images and manifests of every live bundle for dataset NAME.
    Export {
        #[command(flatten)]
        store: StoreArgs,
        /// Dataset name recorded for each exported bundle.
        #[arg(long)]
        dataset: String,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// The private key's file (outside the data folder); default: BESTPICK_COLLECTOR_KEY.
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Apply retention now: bundles older than 5 years, access log older than 90 days.
    Purge {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The operators allowed to export and purge (they give BESTPICK_OPERATOR_TOKEN).
    #[command(subcommand)]
    Operators(OperatorsCommand),
    /// The collector's private keys: add a new one, list them.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Adds a new key to the key file, atomically; it becomes the one served. Running
    /// instances pick it up within seconds; the old keys stay to open old bundles. Prints the
    /// new key's id, never a secret.
    Rotate {
        /// The key file the instances read (as given to `serve --key-file`).
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Lists the keys: id, when added, which one is served.
    List {
        /// The key file; default: BESTPICK_COLLECTOR_KEY.
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum OperatorsCommand {
    /// Adds operator NAME and prints their token as the last line (shown once; only its hash
    /// is kept).
    Add {
        /// The operator's name, as the access log will show it.
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Where the bundles and their records are: a data directory (the embedded default), or a
/// bucket and a PostgreSQL database that several instances share.
#[derive(Args)]
struct StoreArgs {
    /// Data directory: database, stored bundles (the embedded store).
    #[arg(long, required_unless_present = "store", conflicts_with = "store")]
    data: Option<PathBuf>,
    /// Keep bundles in S3-compatible object storage, s3://BUCKET, and their records in
    /// --database. Credentials come from the environment only: AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY.
    #[arg(long, value_name = "s3://BUCKET", requires = "database")]
    store: Option<String>,
    /// Endpoint URL of the S3-compatible server (default: AWS). Plain http only on loopback.
    #[arg(long, value_name = "URL", requires = "store")]
    s3_endpoint: Option<String>,
    /// Region of the bucket [default: us-east-1].
    #[arg(long, value_name = "REGION", requires = "store")]
    s3_region: Option<String>,
    /// PostgreSQL for the records with --store: postgres://USER@HOST:PORT/DB (the password
    /// from PGPASSWORD, or in the URL).
    #[arg(long, value_name = "URL", requires = "store")]
    database: Option<String>,
    /// With --store: seconds an object without a committed record (an upload cut off between
    /// its object and its record) is left before purges remove it.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_SWEEP_AFTER.as_secs())]
    sweep_after: u64,
}

/// An open store of either kind.
enum Opened {
    Dir(DirStore, PathBuf),
    Cloud(CloudStore),
}

impl Opened {
    fn open(args: &StoreArgs) -> anyhow::Result<Opened> {
        match (&args.data, &args.store) {
            (Some(data), _) => Ok(Opened::Dir(DirStore::open(data)?, data.clone())),
            (None, Some(store)) => Ok(Opened::Cloud(CloudStore::open(&cloud_config(
                args, store,
            )?)?)),
            (None, None) => anyhow::bail!("pass --data DIR or --store s3://BUCKET"),
        }
    }

    fn store(&self) -> &dyn Store {
        match self {
            Opened::Dir(store, _) => store,
            Opened::Cloud(store) => store,
        }
    }

    /// The keys; a key file inside the data directory is refused.
    fn keys(&self, key_file: Option<PathBuf>) -> anyhow::Result<keys::KeyRing> {
        let source = keys::KeySource::choose(key_file)?;
        match self {
            Opened::Dir(_, data) => keys::load(&source, data),
            Opened::Cloud(_) => keys::load_detached(&source),
        }
    }
}

fn cloud_config(args: &StoreArgs, store: &str) -> anyhow::Result<CloudConfig> {
    let bucket = store
        .strip_prefix("s3://")
        .map(|b| b.trim_end_matches('/'))
        .filter(|b| !b.is_empty() && !b.contains('/'))
        .with_context(|| format!("--store {store}: expected s3://BUCKET"))?;
    let database_url = args
        .database
        .clone()
        .context("--store needs --database postgres://...")?;
    Ok(CloudConfig {
        bucket: bucket.to_owned(),
        endpoint: args.s3_endpoint.clone(),
        region: args
            .s3_region
            .clone()
            .unwrap_or_else(|| "us-east-1".to_owned()),
        database_url,
        sweep_after: Duration::from_secs(args.sweep_after),
    })
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port). Plain HTTP is
    /// served on loopback addresses only; any other address needs --tls-cert/--tls-key or
    /// --behind-tls-proxy.
    #[arg(long)]
    listen: SocketAddr,
    #[command(flatten)]
    store: StoreArgs,
    /// The private key's file, outside the data directory (another volume, say): created
    /// with a new key on first start, refused when group or others may read it. Without it,
    /// the key comes from BESTPICK_COLLECTOR_KEY (64 hex digits).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Largest accepted bundle, bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    max_body_bytes: usize,
    /// Requests per client address (IPv6: per /64) per minute, at this instance: N instances
    /// behind one balancer allow a client up to N times this.
    #[arg(long, default_value_t = 120)]
    rate_limit_per_minute: u32,
    /// A reverse proxy (ADDR or ADDR/PREFIX; repeatable) whose X-Forwarded-For names the
    /// client; from any other peer the header is ignored.
    #[arg(long = "trusted-proxy", value_name = "ADDR[/PREFIX]")]
    trusted_proxies: Vec<bestpick_collector::proxy::ProxyNet>,
    /// Uploads received and checked at once; one more is answered 503 at once. Memory use is
    /// about N times --max-body-bytes.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1024))]
    max_uploads: u32,
    /// Open connections at most; one more is closed at once.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65536))]
    max_connections: u32,
    /// Seconds a client has to send its request line and headers (and to finish a TLS
    /// handshake); also how long an idle keep-alive connection stays open.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout: u64,
    /// Seconds after a key rotation during which bundles sealed to the key before are still
    /// accepted; after that they are answered 409 key_retired and clients seal them again to
    /// the new key. 0 after a suspected key compromise.
    #[arg(long, value_name = "SECS", default_value_t = bestpick_collector::app::DEFAULT_RETIRED_KEY_GRACE.as_secs())]
    retired_key_grace: u64,
    /// Seconds an upload body has before --body-min-rate starts to count.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout: u64,
    /// Bytes per second an upload must keep up: each this many bytes received give the body
    /// one more second. A slower client is cut off with 408.
    #[arg(long, default_value_t = 16 * 1024, value_parser = clap::value_parser!(u64).range(1..))]
    body_min_rate: u64,
    /// Serve HTTPS with this certificate chain (PEM, leaf first).
    #[arg(long, requires = "tls_key", conflicts_with = "behind_tls_proxy")]
    tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address because a proxy in front terminates TLS.
    #[arg(long)]
    behind_tls_proxy: bool,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bestpick-collector: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => run_serve(args),
        Command::Export {
            store,
            dataset,
            out,
            key_file,
        } => {
            let opened = Opened::open(&store)?;
            let keys = opened.keys(key_file)?.loaded();
            let operator = operator(opened.store())?;
            // One export or purge at a time across the instances of a shared store.
            let _lock = match &opened {
                Opened::Cloud(cloud) => Some(cloud.maintenance_lock()?),
                Opened::Dir(..) => None,
            };
            let store = opened.store();
            store.purge(unix_now())?;
            let report = export::export(store, &keys, &dataset, &out, &operator, unix_now())?;
            println!(
                "exported {} bundle(s), {} image(s) for dataset {dataset} to {}",
                report.bundles,
                report.images,
                out.display()
            );
            Ok(())
        }
        Command::Purge { store } => {
            let opened = Opened::open(&store)?;
            let operator = operator(opened.store())?;
            let _lock = match &opened {
                Opened::Cloud(cloud) => Some(cloud.maintenance_lock()?),
                Opened::Dir(..) => None,
            };
            let store = opened.store();
            let report = store.purge(unix_now())?;
            store.log_access(
                unix_now(),
                &operator,
                &format!(
                    "purge bundles={} access_log_rows={} orphan_objects={}",
                    report.bundles, report.access_log_rows, report.orphan_objects
                ),
            )?;
            println!(
                "purged {} bundle(s), {} access-log row(s) and {} orphan object(s)",
                report.bundles, report.access_log_rows, report.orphan_objects
            );
            Ok(())
        }
        Command::Operators(OperatorsCommand::Add { name, store }) => {
            let opened = Opened::open(&store)?;
            let token = operators::add(opened.store(), &name, unix_now())?;
            println!(
                "operator {name} added; their token (shown once, give it to them as {}):",
                operators::TOKEN_ENV
            );
            println!("{token}");
            Ok(())
        }
        Command::Keys(KeysCommand::Rotate { key_file }) => rotate_keys(key_file),
        Command::Keys(KeysCommand::List { key_file }) => {
            let set = match keys::KeySource::choose(key_file)? {
                keys::KeySource::File(path) => {
                    keys::read_set(&path)?
                        .with_context(|| format!("no key file at {}", path.display()))?
                        .0
                }
                keys::KeySource::Env => keys::from_env()?,
            };
            let newest = set.newest().id;
            for key in set.keys() {
                let created = key
                    .created
                    .map_or_else(|| "unknown".to_owned(), |t| t.to_string());
                let role = if key.id == newest {
                    "current (served)"
                } else {
                    "older (opens bundles sealed to it)"
                };
                println!("{}  created {created}  {role}", key.id);
            }
            Ok(())
        }
    }
}

/// `keys rotate`: only a key file can be rotated; the environment cannot be changed from here.
fn rotate_keys(key_file: Option<PathBuf>) -> anyhow::Result<()> {
    let path = match key_file {
        Some(path) => path,
        None if std::env::var_os(keys::KEY_ENV).is_some() => anyhow::bail!(
            "the keys come from {env}, which this command cannot change. Write them to a \
             private file (umask 077; printf '%s\\n' \"${env}\" > keys), run `bestpick-collector \
             keys rotate --key-file keys`, store the file's content as the new value of {env} \
             (in your secret manager), restart the instances, and delete the file",
            env = keys::KEY_ENV
        ),
        None => anyhow::bail!("pass --key-file PATH: the key file the instances read"),
    };
    let set = keys::rotate(&path, unix_now())?;
    let newest = set.newest();
    println!(
        "added key {} to {} ({} key(s)); it is served from now on, running instances pick it \
         up within seconds",
        newest.id,
        path.display(),
        set.keys().len()
    );
    Ok(())
}

/// The operator running this command, from the token in the environment.
fn operator(store: &dyn Store) -> anyhow::Result<String> {
    let token = std::env::var(operators::TOKEN_ENV).ok();
    operators::authenticate(store, token.as_deref())
}

fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    // Refuse before touching anything: plain HTTP stays on loopback.
    check_listen_address(args.listen, args.tls_cert.is_some(), args.behind_tls_proxy)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls_config(cert, key)?),
        _ => None,
    };
    let config = Config {
        max_body_bytes: args.max_body_bytes,
        rate_limit_per_minute: args.rate_limit_per_minute,
        trusted_proxies: args.trusted_proxies.clone(),
        max_uploads: usize::try_from(args.max_uploads).context("--max-uploads")?,
        body_timeout: Duration::from_secs(args.body_timeout),
        body_min_rate: args.body_min_rate,
        retired_key_grace: Duration::from_secs(args.retired_key_grace),
        ..Config::default()
    };
    let options = ServeOptions {
        max_connections: usize::try_from(args.max_connections).context("--max-connections")?,
        header_timeout: Duration::from_secs(args.header_timeout),
        tls,
    };

    let key_source = keys::KeySource::choose(args.key_file.clone())?;
    let (store, keys): (Arc<dyn Store>, _) = match (&args.store.data, &args.store.store) {
        (Some(data), _) => {
            let keys = keys::load(&key_source, data)?;
            let (store, recovered) = DirStore::open_for_serving(data)?;
            if recovered.completed + recovered.removed > 0 {
                eprintln!(
                    "collector: after an unclean stop: {} committed bundle(s) completed, {} \
                         unfinished upload(s) removed",
                    recovered.completed, recovered.removed
                );
            }
            (Arc::new(store), keys)
        }
        (None, Some(bucket)) => {
            let keys = keys::load_detached(&key_source)?;
            let config = cloud_config(&args.store, bucket)?;
            (Arc::new(CloudStore::open(&config)?), keys)
        }
        (None, None) => anyhow::bail!("pass --data DIR or --store s3://BUCKET"),
    };
    // At start: retention, and (shared store) objects left by uploads cut off before commit.
    let report = store.purge(unix_now())?;
    if report.orphan_objects > 0 {
        eprintln!(
            "collector: {} unfinished upload object(s) removed",
            report.orphan_objects
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        // Tests read this line to learn the port.
        println!(
            "listening on {scheme}://{addr} (key {})",
            keys.loaded().newest().id
        );

        let purge_store = store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                let store = purge_store.clone();
                let purged = tokio::task::spawn_blocking(move || store.purge(unix_now())).await;
                if let Ok(Err(e)) = purged {
                    eprintln!("retention purge failed: {e}");
                }
            }
        });

        let router = app(AppState::with_keys(store, Arc::new(keys), config));
        serve(listener, router, options, shutdown()).await;
        anyhow::Ok(())
    })
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
}
