//! The keyring secret store for real: Linux keyutils in a fresh session keyring joined in-process.

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
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // Join a new anonymous session keyring for this thread (keyctl(JOIN, NULL)).
    let id = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    if id < 0 {
        let err = std::io::Error::last_os_error();
        println!("SKIPPED: the kernel refuses a new session keyring here: {err}");
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
