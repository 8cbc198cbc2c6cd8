//! The state directory: non-secret files only (`device.json` with the persisted client id,
//! `identity.json` with the cached identity, the upload journal, and the uploader lock
//! `uploader.lock` with its holder file `uploader.json`). Written atomically (temp file + rename).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::error::{Error, Result};

/// The state directory.
#[derive(Clone, Debug)]
pub struct StateDir {
    root: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct DeviceFile {
    client_id: String,
    /// The install's `device_id` for the sign-in with a Frame.io account (added later: absent
    /// in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    app_device_id: Option<String>,
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Storage(format!("{}: {e}", path.display()))
}

impl StateDir {
    /// Open (create) the directory, private to the user on Unix.
    pub fn open(root: &Path) -> Result<Self> {
        std::fs::create_dir_all(root).map_err(|e| io(root, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700));
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The persisted per-install client id, generated (random UUID) on first use.
    pub fn client_id(&self) -> Result<String> {
        if let Some(d) = self.read::<DeviceFile>("device.json")?
            && !d.client_id.trim().is_empty()
        {
            return Ok(d.client_id);
        }
        let client_id = uuid::Uuid::new_v4().to_string();
        self.write(
            "device.json",
            &DeviceFile {
                client_id: client_id.clone(),
                app_device_id: None,
            },
        )?;
        Ok(client_id)
    }

    /// The persisted per-install `device_id` the sign-in with a Frame.io account sends (a random
    /// UUID generated on first use, kept beside the client id; not a secret).
    pub fn app_device_id(&self) -> Result<String> {
        let client_id = self.client_id()?;
        let file = self.read::<DeviceFile>("device.json")?;
        if let Some(id) = file
            .as_ref()
            .and_then(|d| d.app_device_id.clone())
            .filter(|d| !d.trim().is_empty())
        {
            return Ok(id);
        }
        let device_id = uuid::Uuid::new_v4().to_string();
        self.write(
            "device.json",
            &DeviceFile {
                client_id,
                app_device_id: Some(device_id.clone()),
            },
        )?;
        Ok(device_id)
    }

    /// Read a JSON file; absent or unreadable content gives `None`.
    pub fn read<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let path = self.root.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path, e)),
        }
    }

    /// Write a JSON file atomically.
    pub fn write<T: Serialize>(&self, name: &str, value: &T) -> Result<()> {
        let path = self.root.join(name);
        let tmp = self.root.join(format!(".{name}.tmp"));
        let bytes = serde_json::to_vec_pretty(value)
            .map_err(|e| Error::Storage(format!("cannot encode {name}: {e}")))?;
        std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))
    }

    /// Remove a file; absent is fine.
    pub fn remove(&self, name: &str) -> Result<()> {
        let path = self.root.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&path, e)),
        }
    }
}

// ---- the uploader lock ------------------------------------------------------------------------

/// The lock file of the one-uploader-per-queue rule, in the state directory.
pub const UPLOADER_LOCK_FILE: &str = "uploader.lock";
/// Who holds [`UPLOADER_LOCK_FILE`]: written by the holder after it took the lock.
pub const UPLOADER_HOLDER_FILE: &str = "uploader.json";

/// How long a start waits for an engine of this process that is stopping to let go of the lock.
const STOPPING_WAIT: Duration = Duration::from_secs(10);

/// Who is uploading from a queue (read from the holder file; any field may be missing when the
/// file is absent or from another version).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploaderHolder {
    /// The holder's process id.
    #[serde(default)]
    pub pid: Option<u32>,
    /// How the holder names itself (`takeup run`, the app's name).
    #[serde(default)]
    pub name: Option<String>,
    /// The machine it runs on (a state directory on a shared file system).
    #[serde(default)]
    pub host: Option<String>,
    /// When it took the lock (Unix ms).
    #[serde(default)]
    pub since_ms: Option<i64>,
}

impl std::fmt::Display for UploaderHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the upload queue is in use by ")?;
        match &self.name {
            Some(n) => write!(f, "`{n}`")?,
            None => f.write_str("another program")?,
        }
        let mut extra = Vec::new();
        if let Some(pid) = self.pid {
            extra.push(format!("pid {pid}"));
        }
        if let Some(h) = self
            .host
            .as_deref()
            .filter(|h| Some(*h) != host_name().as_deref())
        {
            extra.push(format!("on {h}"));
        }
        if !extra.is_empty() {
            write!(f, " ({})", extra.join(", "))?;
        }
        if let Some(since) = self
            .since_ms
            .and_then(chrono::DateTime::<chrono::Utc>::from_timestamp_millis)
        {
            let local = since.with_timezone(&chrono::Local);
            if local.date_naive() == chrono::Local::now().date_naive() {
                write!(f, " since {}", local.format("%H:%M"))?;
            } else {
                write!(f, " since {}", local.format("%Y-%m-%d %H:%M"))?;
            }
        }
        f.write_str("; only one program may upload from a queue at a time")
    }
}

/// This machine's name, where the platform tells it cheaply.
fn host_name() -> Option<String> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        None
    }
}

/// How this process names itself when the host gave no name: its program name.
pub fn default_holder_name() -> Option<String> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Ok(cmdline) = std::fs::read("/proc/self/cmdline")
        && let Some(arg0) = cmdline.split(|b| *b == 0).next()
        && !arg0.is_empty()
    {
        let arg0 = String::from_utf8_lossy(arg0);
        return arg0.rsplit('/').next().map(str::to_string);
    }
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// An uploader lock held by this process, by lock file path: a start that finds the lock taken by
/// an engine of this process that is stopping waits for it instead of failing.
struct Held {
    stopping: AtomicBool,
    released: tokio::sync::watch::Sender<bool>,
}

fn held() -> std::sync::MutexGuard<'static, HashMap<PathBuf, Arc<Held>>> {
    static HELD: OnceLock<Mutex<HashMap<PathBuf, Arc<Held>>>> = OnceLock::new();
    HELD.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// The exclusive right to upload from this state directory's queue: an OS file lock (`flock` on
/// Unix, `LockFileEx` on Windows) on `uploader.lock`, so the operating system releases it when the
/// process ends in any way, SIGKILL included. Dropping it releases it.
pub struct UploaderLock {
    file: Option<std::fs::File>,
    key: PathBuf,
    holder_path: PathBuf,
    held: Arc<Held>,
}

impl std::fmt::Debug for UploaderLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploaderLock")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Marks an [`UploaderLock`] as being released soon (its engine is stopping).
#[derive(Clone)]
pub struct StoppingHandle(Arc<Held>);

impl StoppingHandle {
    /// The engine holding the lock is stopping: a new start in this process waits for the
    /// release instead of failing.
    pub fn mark_stopping(&self) {
        self.0.stopping.store(true, Ordering::SeqCst);
    }
}

impl UploaderLock {
    /// A handle to say the holder is stopping.
    pub fn stopping_handle(&self) -> StoppingHandle {
        StoppingHandle(self.held.clone())
    }
}

impl Drop for UploaderLock {
    fn drop(&mut self) {
        // The holder file goes first: once the lock is free it may belong to someone else.
        let _ = std::fs::remove_file(&self.holder_path);
        {
            let mut map = held();
            drop(self.file.take());
            if map
                .get(&self.key)
                .is_some_and(|h| Arc::ptr_eq(h, &self.held))
            {
                map.remove(&self.key);
            }
        }
        self.held.released.send_replace(true);
        tracing::debug!(lock = %self.key.display(), "uploader lock released");
    }
}

enum Attempt {
    Taken(UploaderLock),
    /// Held by an engine of this process that is stopping: wait for this, then try again.
    Wait(tokio::sync::watch::Receiver<bool>),
    InUse,
}

impl StateDir {
    /// Take the uploader lock of this state directory: one uploader per queue. Another holder
    /// (another process, or a running engine of this one) gives [`Error::QueueInUse`] naming it;
    /// an engine of this process that is stopping is waited for (up to 10 s). `name` is how this
    /// holder is shown to the others (`takeup run`).
    pub async fn lock_uploader(&self, name: Option<&str>) -> Result<UploaderLock> {
        let path = self.root.join(UPLOADER_LOCK_FILE);
        let deadline = tokio::time::Instant::now() + STOPPING_WAIT;
        loop {
            match self.try_lock_uploader(&path, name)? {
                Attempt::Taken(lock) => return Ok(lock),
                Attempt::Wait(mut released) => {
                    let wait = released.wait_for(|r| *r);
                    if tokio::time::timeout_at(deadline, wait).await.is_err() {
                        return Err(Error::QueueInUse(self.uploader_holder()));
                    }
                }
                Attempt::InUse => return Err(Error::QueueInUse(self.uploader_holder())),
            }
        }
    }

    fn try_lock_uploader(&self, path: &Path, name: Option<&str>) -> Result<Attempt> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| io(path, e))?;
        let key = std::fs::canonicalize(path).map_err(|e| io(path, e))?;
        let mut map = held();
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Ok(match map.get(&key) {
                    Some(h) if h.stopping.load(Ordering::SeqCst) => {
                        Attempt::Wait(h.released.subscribe())
                    }
                    _ => Attempt::InUse,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::Storage(format!(
                    "cannot lock {} (one uploader per queue): {e}",
                    path.display()
                )));
            }
        }
        let held = Arc::new(Held {
            stopping: AtomicBool::new(false),
            released: tokio::sync::watch::channel(false).0,
        });
        map.insert(key.clone(), held.clone());
        drop(map);
        let lock = UploaderLock {
            file: Some(file),
            key,
            holder_path: self.root.join(UPLOADER_HOLDER_FILE),
            held,
        };
        let holder = UploaderHolder {
            pid: Some(std::process::id()),
            name: name
                .map(str::to_string)
                .or_else(default_holder_name)
                .filter(|n| !n.trim().is_empty()),
            host: host_name(),
            since_ms: Some(chrono::Utc::now().timestamp_millis()),
        };
        // Informational only: the lock itself is the file lock.
        if let Err(e) = self.write(UPLOADER_HOLDER_FILE, &holder) {
            tracing::warn!(error = %e, "could not write the uploader holder file");
        }
        tracing::debug!(lock = %lock.key.display(), "uploader lock taken");
        Ok(Attempt::Taken(lock))
    }

    /// Who holds the uploader lock, as far as the holder file tells.
    pub fn uploader_holder(&self) -> UploaderHolder {
        self.read::<UploaderHolder>(UPLOADER_HOLDER_FILE)
            .ok()
            .flatten()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_and_device_id_are_stable_and_an_old_file_gains_a_device_id() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("device.json"), br#"{"client_id":"old-id"}"#).unwrap();
        let s = StateDir::open(dir.path()).unwrap();
        assert_eq!(s.client_id().unwrap(), "old-id");
        let d = s.app_device_id().unwrap();
        assert_ne!(d, "old-id");
        let again = StateDir::open(dir.path()).unwrap();
        assert_eq!(again.app_device_id().unwrap(), d);
        assert_eq!(again.client_id().unwrap(), "old-id");
    }
}
