//! bestpick-collector: the HTTP service that receives anonymized contribution bundles.
//!
//! It decrypts each bundle in memory, checks every image again with the shared metadata
//! verifier (fail closed), validates the manifest, and stores the bundle as received
//! (HPKE-sealed, so encrypted at rest). Contributors can query and delete their bundles with
//! the receipt token whose hash was sent along; researchers get exports that record which
//! dataset used which bundle. Client addresses are used only for in-memory rate limiting.
//!
//! It depends on `bestpick-bundle` only: never on the app, the catalog or the client crate.
#![warn(missing_docs)]

pub mod app;
pub mod error;
pub mod export;
pub mod keys;
pub mod operators;
pub mod proxy;
pub mod receive;
pub mod server;
pub mod store;

pub use app::{AppState, Config, app, unix_now};
pub use server::{ServeOptions, check_listen_address, serve, tls_config};
pub use store::{CloudConfig, CloudStore, DirStore, Store};
