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

    /// Write, read back and delete a probe entry: proves the keyring is usable here. Leaves
    /// nothing behind, also when the value cannot be read back.
    pub fn probe(&self) -> Result<(), SecretStoreError> {
        let key = format!("probe-{}", uuid::Uuid::new_v4());
        #[cfg(target_os = "linux")]
        {
            let entry = self.entry(&key)?;
            if let Some(cred) = entry
                .as_any()
                .downcast_ref::<linux_keyutils_keyring_store::Cred>()
            {
                return self.probe_keyutils(&key, cred);
            }
        }
        self.set(&key, "probe")?;
        let back = self.get(&key);
        let _ = self.delete(&key);
        Self::probed(back)
    }

    fn probed(back: Result<Option<String>, SecretStoreError>) -> Result<(), SecretStoreError> {
        match back? {
            Some(v) if v == "probe" => Ok(()),
            _ => Err(SecretStoreError::Unavailable(
                "the keyring did not keep a value".into(),
            )),
        }
    }

    /// The keyutils probe. Where the process does not possess its session keyring (no login
    /// session keyring of its own: a container, a plain ssh or service session, where the kernel
    /// hands out the user-session keyring), a key the store writes cannot be searched, read,
    /// invalidated or deleted afterwards (the store's delete finds keys by search): every probe
    /// used to leave a key behind. So the probe key is written to the session keyring directly,
    /// read back the way the store reads, and then invalidated (possible when it could be read)
    /// and unlinked from the session keyring by serial (that needs write permission on the
    /// keyring, not possession): with no link left the kernel destroys it.
    #[cfg(target_os = "linux")]
    fn probe_keyutils(
        &self,
        key: &str,
        cred: &linux_keyutils_keyring_store::Cred,
    ) -> Result<(), SecretStoreError> {
        let written = cred
            .session
            .add_key(&cred.description, "probe")
            .map_err(|e| SecretStoreError::Unavailable(e.to_string()))?;
        // Read back the way the store reads (search from the session keyring).
        let back = self.get(key);
        // A key that was read back is possessed: invalidate it (the read links it into the
        // persistent keyring too). Unlinking covers the key that could not be read.
        let _ = written.invalidate();
        let _ = cred.session.unlink_key(written);
        Self::probed(back)
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
