//! A fresh session keyring for the calling thread (Linux keyutils), shared by the core and CLI
//! suites (the CLI's common module includes this file by path).
#![allow(dead_code)]

/// Join a new anonymous session keyring (`keyctl(JOIN, NULL)`): keys stored afterwards, by this
/// thread or by the children it spawns, live in it and nowhere else. False when the kernel
/// refuses (the caller skips, saying why).
#[cfg(target_os = "linux")]
pub fn join_session_keyring() -> bool {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    let id = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    id >= 0
}

/// True (and says so) when no session keyring can be joined here: the test is skipped.
#[cfg(target_os = "linux")]
pub fn skip_without_keyring() -> bool {
    if join_session_keyring() {
        return false;
    }
    eprintln!(
        "SKIPPED: the kernel refuses a new session keyring here ({}); nothing can keep a \
         secret across processes without one",
        std::io::Error::last_os_error()
    );
    true
}
