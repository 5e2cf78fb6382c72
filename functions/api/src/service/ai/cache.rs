//! What the proxy keeps in memory between calls, so an answered call costs no database round
//! trip before it reaches the provider: who an API key is, an account's providers (keys opened)
//! and its budget. Each entry lives a few seconds and is dropped at once when this process
//! changes it; another instance's change is seen within that time. (A revoked API key may so
//! work for up to `TTL_MS` on another instance.)

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use super::proxy::upstream::Upstream;

/// How long an entry is trusted.
pub const TTL_MS: i64 = 5_000;
/// Entries per cache at most; past it the cache starts over (a bound, not an eviction policy).
const MAX_ENTRIES: usize = 10_000;

/// A map whose entries expire.
pub struct Ttl<K, V> {
    entries: Mutex<HashMap<K, (i64, V)>>,
}

impl<K, V> Default for Ttl<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Ttl<K, V> {
    /// The value, unless absent or expired.
    pub fn get(&self, key: &K, now_ms: i64) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(expires, _)| *expires > now_ms)
            .map(|(_, v)| v.clone())
    }

    /// Keeps `value` for `TTL_MS`.
    pub fn put(&self, key: K, value: V, now_ms: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (now_ms + TTL_MS, value));
    }

    /// Forgets `key`.
    pub fn remove(&self, key: &K) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    /// Forgets every entry `drop` picks.
    pub fn remove_where(&self, drop: impl Fn(&K, &V) -> bool) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|k, (_, v)| !drop(k, v));
    }
}

/// The proxy's caches.
#[derive(Default)]
pub struct AiCache {
    /// An API key's hash to `(key id, account id)`.
    pub keys: Ttl<String, (Uuid, Uuid)>,
    /// Keys whose `last_used_at` this process wrote within the minute.
    pub touched: Ttl<Uuid, ()>,
    /// An account's providers, ready to call.
    pub providers: Ttl<Uuid, Arc<Vec<Upstream>>>,
    /// An account's monthly budget (nano-USD; `None`: no budget).
    pub budgets: Ttl<Uuid, Option<i64>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_dropped() {
        let cache: Ttl<u32, &str> = Ttl::default();
        cache.put(1, "a", 0);
        assert_eq!(cache.get(&1, TTL_MS - 1), Some("a"));
        assert_eq!(cache.get(&1, TTL_MS), None);
        cache.put(2, "b", 0);
        cache.remove_where(|_, v| *v == "b");
        assert_eq!(cache.get(&2, 1), None);
    }
}
