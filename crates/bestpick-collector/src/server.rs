//! The network side of `serve`: an HTTP/1.1 accept loop over the router with everything a
//! client can send bounded.
//!
//! - at most [`ServeOptions::max_connections`] connections; one more is closed at once;
//! - the request head (line and headers) must arrive within
//!   [`ServeOptions::header_timeout`], also for an idle keep-alive connection, and is at most
//!   [`MAX_HEADER_BYTES`] in at most [`MAX_HEADERS`] fields (else 431);
//! - a TLS handshake must finish within the same timeout;
//! - bodies are bounded by the router (size, minimum rate, concurrent uploads).
//!
//! Plain HTTP is only served on loopback addresses: see [`check_listen_address`].

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tower::ServiceExt;

/// Largest request head (request line and headers), bytes.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Most header fields in one request.
pub const MAX_HEADERS: usize = 64;
/// Per-connection read buffer cap (hyper's default is about 400 KB).
const MAX_BUF_BYTES: usize = 64 * 1024;
/// How long a shutdown waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Errors of [`serve`] and its set-up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// Plain HTTP was asked for on an address other machines can reach.
    #[error(
        "refusing to serve plain HTTP on {addr}, which is not a loopback address: give \
         --tls-cert and --tls-key, or --behind-tls-proxy when a proxy in front of the \
         collector terminates TLS"
    )]
    PlainHttpOffLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// A certificate or key file could not be used.
    #[error("TLS {what} {path}: {reason}")]
    Tls {
        /// "certificate" or "key".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why (never the key material).
        reason: String,
    },
    /// The certificate and key do not make a server configuration.
    #[error("TLS configuration: {0}")]
    TlsConfig(#[source] rustls::Error),
}

/// How to serve.
#[derive(Clone)]
pub struct ServeOptions {
    /// Open connections at most.
    pub max_connections: usize,
    /// Time for a request head (and a TLS handshake) to arrive.
    pub header_timeout: Duration,
    /// TLS, when the collector terminates it itself.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            tls: None,
        }
    }
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("max_connections", &self.max_connections)
            .field("header_timeout", &self.header_timeout)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

/// Plain HTTP only on loopback: any other address needs TLS here (`tls`) or a TLS-terminating
/// proxy in front (`behind_tls_proxy`), so that receipt tokens and bundles never cross a
/// network in clear.
pub fn check_listen_address(
    addr: SocketAddr,
    tls: bool,
    behind_tls_proxy: bool,
) -> Result<(), ServeError> {
    if tls || behind_tls_proxy || addr.ip().to_canonical().is_loopback() {
        Ok(())
    } else {
        Err(ServeError::PlainHttpOffLoopback { addr })
    }
}

/// A TLS server configuration (rustls, ring provider, TLS 1.2 and 1.3, HTTP/1.1) from PEM
/// files: the certificate chain (leaf first) and its private key.
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, ServeError> {
    let tls_err = |what, path: &Path, reason: String| ServeError::Tls {
        what,
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| tls_err("certificate", cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(tls_err(
            "certificate",
            cert,
            "no CERTIFICATE block found".into(),
        ));
    }
    // The error says what went wrong (I/O, no key block), never what the file holds.
    let key_der =
        PrivateKeyDer::from_pem_file(key).map_err(|e| tls_err("key", key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(ServeError::TlsConfig)?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(ServeError::TlsConfig)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open connections finish
/// (for at most 30 s).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) {
    let connections = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .max_headers(MAX_HEADERS)
        .max_buf_size(MAX_BUF_BYTES);
    let http = Arc::new(http);
    let tls = options.tls.clone().map(TlsAcceptor::from);
    let (stop_tx, stop_rx) = watch::channel(());

    tokio::pin!(shutdown);
    loop {
        let (tcp, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    eprintln!("collector: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = connections.clone().try_acquire_owned() else {
            drop(tcp); // over the connection limit: closed at once
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let connection = Connection {
            router: router.clone(),
            http: http.clone(),
            remote,
            stop: stop_rx.clone(),
        };
        let tls = tls.clone();
        let header_timeout = options.header_timeout;
        tokio::spawn(async move {
            connection.run(tcp, tls, header_timeout).await;
            drop(slot);
        });
    }

    drop(listener);
    let _ = stop_tx.send(());
    let all = u32::try_from(options.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, connections.acquire_many(all)).await;
}

struct Connection {
    router: Router,
    http: Arc<http1::Builder>,
    remote: SocketAddr,
    stop: watch::Receiver<()>,
}

impl Connection {
    async fn run(self, tcp: TcpStream, tls: Option<TlsAcceptor>, header_timeout: Duration) {
        match tls {
            None => self.drive(tcp).await,
            Some(acceptor) => {
                // A failed or too slow handshake: nothing to answer, just close.
                let handshake = tokio::time::timeout(header_timeout, acceptor.accept(tcp)).await;
                if let Ok(Ok(stream)) = handshake {
                    self.drive(stream).await;
                }
            }
        }
    }

    async fn drive<T>(mut self, io: T)
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (router, remote) = (self.router, self.remote);
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(remote));
            Box::pin(router.clone().oneshot(req))
        });
        let mut connection = self.http.serve_connection(TokioIo::new(io), service);
        // Served without closing the socket at the end: see [`linger`].
        let stopped = tokio::select! {
            _ = std::future::poll_fn(|cx| connection.poll_without_shutdown(cx)) => false,
            _ = self.stop.changed() => true,
        };
        if stopped {
            std::pin::Pin::new(&mut connection).graceful_shutdown();
            let _ = std::future::poll_fn(|cx| connection.poll_without_shutdown(cx)).await;
        }
        linger(connection.into_parts().io.into_inner()).await;
    }
}

/// How long a finished connection keeps reading, and dropping, what the client still sends
/// before it is closed. Closing a socket with unread bytes makes the kernel reset the
/// connection, and the reset can destroy the last answer (a 408 or 413 saying why) before the
/// client reads it: the uploading app would see "connection reset" instead of the reason. The
/// lingering close of Apache and nginx.
const LINGER: Duration = Duration::from_secs(2);

/// Ends our side of a finished connection (FIN, or TLS close_notify), then reads until the
/// client closes its side too, for at most [`LINGER`].
async fn linger<T: AsyncRead + AsyncWrite + Unpin>(mut io: T) {
    let deadline = tokio::time::Instant::now() + LINGER;
    let _ = tokio::time::timeout_at(deadline, io.shutdown()).await;
    let mut discard = [0u8; 8192];
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, io.read(&mut discard)).await {
        if n == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        let cases = [
            ("127.0.0.1:8080", false, false, true),
            ("127.3.4.5:8080", false, false, true),
            ("[::1]:8080", false, false, true),
            ("[::ffff:127.0.0.1]:8080", false, false, true),
            ("0.0.0.0:8080", false, false, false),
            ("[::]:8080", false, false, false),
            ("192.0.2.7:8080", false, false, false),
            ("0.0.0.0:8080", true, false, true),
            ("0.0.0.0:8080", false, true, true),
        ];
        for (addr, tls, proxy, ok) in cases {
            let addr: SocketAddr = addr.parse().unwrap();
            let result = check_listen_address(addr, tls, proxy);
            assert_eq!(
                result.is_ok(),
                ok,
                "case {addr} tls={tls} proxy={proxy}: {result:?}"
            );
        }
        let message = check_listen_address("0.0.0.0:1".parse().unwrap(), false, false)
            .unwrap_err()
            .to_string();
        for flag in ["--tls-cert", "--tls-key", "--behind-tls-proxy"] {
            assert!(message.contains(flag), "error names {flag}: {message}");
        }
    }
}
