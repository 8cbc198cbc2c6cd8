//! The keyring secret store for real: Linux keyutils in a fresh session keyring joined in-process.

#[cfg(target_os = "linux")]
#[path = "common/keyring.rs"]
mod keyring;
#[cfg(target_os = "linux")]
use keyring::skip_without_keyring;
use takeup_core::{KeyringSecretStore, MemorySecretStore, SecretStore};

fn round_trip(store: &dyn SecretStore, key: &str) {
    assert_eq!(store.get(key).unwrap(), None);
    let value = r#"{"v":1,"access_token":"a","refresh_token":"r"}"#;
    store.set(key, value).unwrap();
    assert_eq!(store.get(key).unwrap().as_deref(), Some(value));
    store.set(key, "replaced").unwrap();
    assert_eq!(store.get(key).unwrap().as_deref(), Some("replaced"));
    store.delete(key).unwrap();
    assert_eq!(store.get(key).unwrap(), None);
    store.delete(key).unwrap();
}

#[test]
fn memory_store_round_trip() {
    round_trip(MemorySecretStore::new().as_ref(), "tokens");
}

#[cfg(target_os = "linux")]
#[test]
fn keyutils_store_round_trip_in_a_fresh_session_keyring() {
    if skip_without_keyring() {
        return;
    }
    let store = KeyringSecretStore::platform_default(format!("takeup-test-{}", std::process::id()))
        .expect("keyutils store");
    store.probe().expect("the keyring keeps values");
    round_trip(&store, "tokens");
    // A second store instance sees the same entries (same session keyring).
    let again = KeyringSecretStore::platform_default(format!("takeup-test-{}", std::process::id()))
        .unwrap();
    store.set("shared", "value").unwrap();
    assert_eq!(again.get("shared").unwrap().as_deref(), Some("value"));
    again.delete("shared").unwrap();
    assert_eq!(store.get("shared").unwrap(), None);
    assert!(!format!("{store:?}").contains("value"));
}
