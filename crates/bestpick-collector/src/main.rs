//! `bestpick-collector serve | export | purge`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bestpick_collector::{AppState, Config, DirStore, Store, app, export, keys, unix_now};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bestpick-collector",
    version,
    about = "Receives bestpick contribution bundles"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the key pair is created in DIR on first start).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
        #[arg(long)]
        listen: SocketAddr,
        /// Data directory: key, database, stored bundles.
        #[arg(long)]
        data: PathBuf,
        /// Largest accepted bundle, bytes.
        #[arg(long, default_value_t = 256 * 1024 * 1024)]
        max_body_bytes: usize,
        /// Requests per client address per minute.
        #[arg(long, default_value_t = 120)]
        rate_limit_per_minute: u32,
    },
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
        /// Who runs the export (for the access log; default: $USER).
        #[arg(long)]
        actor: Option<String>,
    },
    /// Apply retention now: bundles older than 5 years, access log older than 90 days.
    Purge {
        /// Data directory.
        #[arg(long)]
        data: PathBuf,
    },
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
        Command::Serve {
            listen,
            data,
            max_body_bytes,
            rate_limit_per_minute,
        } => {
            let config = Config {
                max_body_bytes,
                rate_limit_per_minute,
                ..Config::default()
            };
            serve(listen, &data, config)
        }
        Command::Export {
            data,
            dataset,
            out,
            actor,
        } => {
            let store = DirStore::open(&data)?;
            store.purge(unix_now())?;
            let (secret, _) = keys::load_or_create(&data)?;
            let actor = actor
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "unknown".into());
            let report = export::export(&store, &secret, &dataset, &out, &actor, unix_now())?;
            println!(
                "exported {} bundle(s), {} image(s) for dataset {dataset} to {}",
                report.bundles,
                report.images,
                out.display()
            );
            Ok(())
        }
        Command::Purge { data } => {
            let report = DirStore::open(&data)?.purge(unix_now())?;
            println!(
                "purged {} bundle(s) and {} access-log row(s)",
                report.bundles, report.access_log_rows
            );
            Ok(())
        }
    }
}

fn serve(listen: SocketAddr, data: &std::path::Path, config: Config) -> anyhow::Result<()> {
    let (secret, public) = keys::load_or_create(data)?;
    let store = Arc::new(DirStore::open(data)?);
    store.purge(unix_now())?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        // Tests read this line to learn the port.
        println!("listening on http://{addr} (key {})", public.fingerprint());

        let purge_store = store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                if let Err(e) = purge_store.purge(unix_now()) {
                    eprintln!("retention purge failed: {e}");
                }
            }
        });

        let router = app(AppState::new(store, secret, config));
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown())
        .await
        .context("serving")
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
