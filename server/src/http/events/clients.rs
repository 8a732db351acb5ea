//! Open event streams per client, so that no one address can take every
//! stream slot. The router gives the handler only its stream semaphore,
//! so the counts live here, keyed by that semaphore as well: two servers
//! in one process (as in tests) keep their own counts.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex, MutexGuard},
};

use tokio::sync::Semaphore;

/// Streams one client may hold open: a page follows in one, so this is a
/// few tabs, or a few people behind one address.
pub const PER_CLIENT: usize = 8;

/// (the semaphore's address, the client) → streams open.
type Counts = HashMap<(usize, String), usize>;

static OPEN: LazyLock<Mutex<Counts>> = LazyLock::new(Mutex::default);

fn open() -> MutexGuard<'static, Counts> {
    OPEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One stream of one client; gives its place back when dropped.
pub struct ClientStreams {
    key: (usize, String),
    /// While this is counted, the semaphore stays alive, so no other one
    /// can be made at its address and inherit the count.
    _streams: Arc<Semaphore>,
}

impl ClientStreams {
    /// A place for one more stream of `client`, unless it has them all.
    /// Requests without a client address share one count.
    pub fn take(streams: &Arc<Semaphore>, client: Option<String>) -> Option<ClientStreams> {
        let key = (Arc::as_ptr(streams) as usize, client.unwrap_or_default());
        let mut open = open();
        let count = open.entry(key.clone()).or_default();
        if *count >= PER_CLIENT {
            return None;
        }
        *count += 1;
        Some(ClientStreams {
            key,
            _streams: Arc::clone(streams),
        })
    }
}

impl Drop for ClientStreams {
    fn drop(&mut self) {
        let mut open = open();
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_gets_its_share_and_a_closed_stream_frees_its_place() {
        let streams = Arc::new(Semaphore::new(256));
        let ann = || Some("203.0.113.9".to_string());
        let mut held: Vec<_> = (0..PER_CLIENT)
            .map(|_| ClientStreams::take(&streams, ann()).expect("within the share"))
            .collect();
        assert!(ClientStreams::take(&streams, ann()).is_none());
        // Another address, and another server, still get in.
        assert!(ClientStreams::take(&streams, Some("198.51.100.4".into())).is_some());
        let other_server = Arc::new(Semaphore::new(256));
        assert!(ClientStreams::take(&other_server, ann()).is_some());
        held.pop();
        assert!(ClientStreams::take(&streams, ann()).is_some());
        drop(held);
        assert!(open().keys().all(|(_, client)| client != "203.0.113.9"));
    }
}
