//! A small pool of PostgreSQL connections for [`super::CloudStore`], reconnecting after the
//! database restarts.
//!
//! At most [`POOL_SIZE`] connections are open; a caller waits up to [`POOL_WAIT`] for one.
//! A connection is opened when none is idle, and a connection that closed (the server
//! restarted, the network dropped it) is never handed out again: it is dropped when it comes
//! back or when it is found idle, and the next caller opens a new one. While the database is
//! unreachable every call fails at once with [`StoreError::Connect`] (within the connect
//! timeout), and the first call after it is back succeeds, without restarting the process.
//!
//! Hand-rolled rather than deadpool or bb8: the store needs only this, on its own runtime.
//! The maintenance advisory lock never uses a pooled connection (a session lock on a
//! connection that is handed to another caller, or silently replaced, would be lost): see
//! [`super::CloudStore::maintenance_lock`].

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::connect::connect;
use crate::store::{StoreError, StoreResult};

/// Connections one store (one collector process) opens at most.
pub const POOL_SIZE: usize = 8;
/// How long a caller waits for a connection when all are in use.
pub const POOL_WAIT: Duration = Duration::from_secs(30);

pub(super) struct Pool {
    url: String,
    tls: MakeRustlsConnect,
    idle: Mutex<Vec<Client>>,
    slots: Semaphore,
}

/// A connection taken from the [`Pool`]; it goes back when dropped, unless it closed.
pub(super) struct Pooled<'a> {
    pool: &'a Pool,
    client: Option<Client>,
    _slot: SemaphorePermit<'a>,
}

impl Pool {
    /// A pool of connections to `url`, starting with `first` idle.
    pub(super) fn new(url: String, tls: MakeRustlsConnect, first: Client) -> Pool {
        Pool {
            url,
            tls,
            idle: Mutex::new(vec![first]),
            slots: Semaphore::new(POOL_SIZE),
        }
    }

    /// A new connection outside the pool, for a session of its own (the maintenance lock).
    pub(super) async fn connect_dedicated(&self) -> StoreResult<Client> {
        connect(&self.url, &self.tls).await
    }

    /// An open connection: an idle one, or a new one.
    pub(super) async fn get(&self) -> StoreResult<Pooled<'_>> {
        let slot = match tokio::time::timeout(POOL_WAIT, self.slots.acquire()).await {
            Ok(Ok(slot)) => slot,
            // Closed never happens (the semaphore is never closed); a timeout means every
            // connection is busy for that long.
            Ok(Err(_)) | Err(_) => return Err(StoreError::PoolTimeout { waited: POOL_WAIT }),
        };
        let reused = {
            let mut idle = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Connections that closed while idle (a database restart) are dropped here.
            idle.retain(|c| !c.is_closed());
            idle.pop()
        };
        let client = match reused {
            Some(client) => client,
            None => connect(&self.url, &self.tls).await?,
        };
        Ok(Pooled {
            pool: self,
            client: Some(client),
            _slot: slot,
        })
    }
}

impl Deref for Pooled<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.client
            .as_ref()
            .unwrap_or_else(|| unreachable!("the client is taken only on drop"))
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .unwrap_or_else(|| unreachable!("the client is taken only on drop"))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        // A transaction dropped unfinished has queued its ROLLBACK on the connection, which
        // runs before whatever the next user sends.
        if let Some(client) = self.client.take()
            && !client.is_closed()
        {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(client);
        }
    }
}
