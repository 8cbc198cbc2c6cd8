//! Secure storage of secrets (the token pair) behind a small object-safe trait that the platforms
//! implement (Keychain, Android Keystore through UniFFI), with two implementations here:
//! [`MemorySecretStore`] (tests, and an explicit non-persistent fallback) and
//! [`KeyringSecretStore`] over `keyring-core` (the desktop default; Linux keyutils).
//!
//! Calls are synchronous and expected to be quick (keychain-style); the engine calls them from
//! async code directly. Values are never logged, and errors never carry secret bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A failure of the secret store. Messages never contain secret values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretStoreError {
    /// The store cannot be used at all (locked, no keyring, no permission).
    #[error("secure storage is unavailable: {0}")]
    Unavailable(String),
    /// An operation failed.
    #[error("secure storage failed: {0}")]
    Failed(String),
}

/// Get/set/delete named secrets. Implementations must be thread-safe; `set` replaces the whole
/// value in one operation.
pub trait SecretStore: Send + Sync {
    /// The value, or `None` when absent.
    fn get(&self, key: &str) -> Result<Option<String>, SecretStoreError>;
    /// Store (replace) the value.
    fn set(&self, key: &str, value: &str) -> Result<(), SecretStoreError>;
    /// Remove the value; absent keys are not an error.
    fn delete(&self, key: &str) -> Result<(), SecretStoreError>;
}

/// A process-memory store: nothing survives the process and nothing is written to disk.
#[derive(Default)]
pub struct MemorySecretStore {
    map: Mutex<HashMap<String, String>>,
}

impl MemorySecretStore {
    /// An empty store.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The keys currently stored (not the values).
    pub fn keys(&self) -> Vec<String> {
        let mut k: Vec<String> = self.lock().keys().cloned().collect();
        k.sort();
        k
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for MemorySecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySecretStore")
            .field("keys", &self.keys())
            .finish()
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self, key: &str) -> Result<Option<String>, SecretStoreError> {
        Ok(self.lock().get(key).cloned())
    }
    fn set(&self, key: &str, value: &str) -> Result<(), SecretStoreError> {
        self.lock().insert(key.to_string(), value.to_string());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), SecretStoreError> {
        self.lock().remove(key);
        Ok(())
    }
}

/// A store over a `keyring-core` credential store; entries are `(service, key)`.
pub struct KeyringSecretStore {
    store: Arc<keyring_core::CredentialStore>,
    service: String,
}

impl std::fmt::Debug for KeyringSecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringSecretStore")
            .field("vendor", &self.store.vendor())
            .field("service", &self.service)
            .finish()
    }
}

fn map_keyring(e: keyring_core::Error) -> SecretStoreError {
    use keyring_core::Error as K;
    // Never format the variants that carry secret bytes (BadEncoding, BadDataFormat).
    match e {
        K::NoStorageAccess(p) => SecretStoreError::Unavailable(p.to_string()),
        K::NoDefaultStore => SecretStoreError::Unavailable("no credential store".into()),
        K::PlatformFailure(p) => SecretStoreError::Failed(p.to_string()),
        K::BadEncoding(_) => SecretStoreError::Failed("stored value is not UTF-8".into()),
        K::BadDataFormat(_, _) => SecretStoreError::Failed("stored value is malformed".into()),
        K::TooLong(what, max) => SecretStoreError::Failed(format!("{what} longer than {max}")),
        K::Invalid(what, why) => SecretStoreError::Failed(format!("invalid {what}: {why}")),
        K::NotSupportedByStore(what) => {
            SecretStoreError::Unavailable(format!("not supported by the store: {what}"))
        }
        _ => SecretStoreError::Failed("credential store error".into()),
    }
}

impl KeyringSecretStore {
    /// Wrap a `keyring-core` store; entries are named `(service, key)`.
    pub fn new(store: Arc<keyring_core::CredentialStore>, service: impl Into<String>) -> Self {
        Self {
            store,
            service: service.into(),
        }
    }

    /// The platform's default store: Linux keyutils (session keyring linked to the persistent
    /// keyring). Other desktop platforms have no store wired up yet.
    pub fn platform_default(service: impl Into<String>) -> Result<Self, SecretStoreError> {
        #[cfg(target_os = "linux")]
        {
            let store = linux_keyutils_keyring_store::Store::new().map_err(map_keyring)?;
            Ok(Self::new(store, service))
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = service.into();
            Err(SecretStoreError::Unavailable(
                "no keyring store for this platform in the engine; the host provides one".into(),
            ))
        }
    }

    /// Write, read back and delete a probe entry: proves the keyring is usable here.
    pub fn probe(&self) -> Result<(), SecretStoreError> {
        let key = format!("probe-{}", uuid::Uuid::new_v4());
        self.set(&key, "probe")?;
        let back = self.get(&key);
        let _ = self.delete(&key);
        match back? {
            Some(v) if v == "probe" => Ok(()),
            _ => Err(SecretStoreError::Unavailable(
                "the keyring did not keep a value".into(),
            )),
        }
    }

    fn entry(&self, key: &str) -> Result<keyring_core::Entry, SecretStoreError> {
        self.store
            .build(&self.service, key, None)
            .map_err(map_keyring)
    }
}

impl SecretStore for KeyringSecretStore {
    fn get(&self, key: &str) -> Result<Option<String>, SecretStoreError> {
        match self.entry(key)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring(e)),
        }
    }
    fn set(&self, key: &str, value: &str) -> Result<(), SecretStoreError> {
        self.entry(key)?.set_password(value).map_err(map_keyring)
    }
    fn delete(&self, key: &str) -> Result<(), SecretStoreError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trip() {
        let s = MemorySecretStore::new();
        assert_eq!(s.get("a").unwrap(), None);
        s.set("a", "1").unwrap();
        s.set("a", "2").unwrap();
        assert_eq!(s.get("a").unwrap().as_deref(), Some("2"));
        assert!(!format!("{s:?}").contains('2'));
        s.delete("a").unwrap();
        s.delete("a").unwrap();
        assert_eq!(s.get("a").unwrap(), None);
    }
}
