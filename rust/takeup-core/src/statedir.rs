//! The state directory: non-secret files only (`device.json` with the persisted client id,
//! `identity.json` with the cached identity). Written atomically (temp file + rename).

use std::path::{Path, PathBuf};

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
