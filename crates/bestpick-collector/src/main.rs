//! `bestpick-collector serve | export | purge | operators add`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bestpick_collector::{
    AppState, Config, DirStore, ServeOptions, Store, app, check_listen_address, export, keys,
    operators, serve, tls_config, unix_now,
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
        /// Data directory.
        #[arg(long)]
        data: PathBuf,
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
        /// Data directory.
        #[arg(long)]
        data: PathBuf,
    },
    /// The operators allowed to export and purge (they give BESTPICK_OPERATOR_TOKEN).
    #[command(subcommand)]
    Operators(OperatorsCommand),
}

#[derive(Subcommand)]
enum OperatorsCommand {
    /// Adds operator NAME and prints their token as the last line (shown once; only its hash
    /// is kept).
    Add {
        /// The operator's name, as the access log will show it.
        name: String,
        /// Data directory.
        #[arg(long)]
        data: PathBuf,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port). Plain HTTP is
    /// served on loopback addresses only; any other address needs --tls-cert/--tls-key or
    /// --behind-tls-proxy.
    #[arg(long)]
    listen: SocketAddr,
    /// Data directory: database, stored bundles.
    #[arg(long)]
    data: PathBuf,
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
            data,
            dataset,
            out,
            key_file,
        } => {
            let (secret, _) = keys::load(&keys::KeySource::choose(key_file)?, &data)?;
            let store = DirStore::open(&data)?;
            let operator = operator(&store)?;
            store.purge(unix_now())?;
            let report = export::export(&store, &secret, &dataset, &out, &operator, unix_now())?;
            println!(
                "exported {} bundle(s), {} image(s) for dataset {dataset} to {}",
                report.bundles,
                report.images,
                out.display()
            );
            Ok(())
        }
        Command::Purge { data } => {
            let store = DirStore::open(&data)?;
            let operator = operator(&store)?;
            let report = store.purge(unix_now())?;
            store.log_access(
                unix_now(),
                &operator,
                &format!(
                    "purge bundles={} access_log_rows={}",
                    report.bundles, report.access_log_rows
                ),
            )?;
            println!(
                "purged {} bundle(s) and {} access-log row(s)",
                report.bundles, report.access_log_rows
            );
            Ok(())
        }
        Command::Operators(OperatorsCommand::Add { name, data }) => {
            let store = DirStore::open(&data)?;
            let token = operators::add(&store, &name, unix_now())?;
            println!(
                "operator {name} added; their token (shown once, give it to them as {}):",
                operators::TOKEN_ENV
            );
            println!("{token}");
            Ok(())
        }
    }
}

/// The operator running this command, from the token in the environment.
fn operator(store: &DirStore) -> anyhow::Result<String> {
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
        ..Config::default()
    };
    let options = ServeOptions {
        max_connections: usize::try_from(args.max_connections).context("--max-connections")?,
        header_timeout: Duration::from_secs(args.header_timeout),
        tls,
    };

    let data = &args.data;
    let (secret, public) = keys::load(&keys::KeySource::choose(args.key_file.clone())?, data)?;
    let (store, recovered) = DirStore::open_for_serving(data)?;
    if recovered.completed + recovered.removed > 0 {
        eprintln!(
            "collector: after an unclean stop: {} committed bundle(s) completed, {} unfinished \
             upload(s) removed",
            recovered.completed, recovered.removed
        );
    }
    let store = Arc::new(store);
    store.purge(unix_now())?;
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
            public.fingerprint()
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

        let router = app(AppState::new(store, secret, config));
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
