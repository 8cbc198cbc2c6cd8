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
            },
        )?;
        Ok(client_id)
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
