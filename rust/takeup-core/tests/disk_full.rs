//! A full disk while the journal writes: a clear error, nothing reset, work resumes once space is
//! back. Uses a 2 MiB tmpfs (needs root to mount; elsewhere the test says it was skipped).

#![cfg(target_os = "linux")]

use std::path::PathBuf;

use takeup_core::queue::journal::{AssetKind, AssetState, Journal, JournalError, NewAsset};

struct Tmpfs(PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

fn asset(i: usize) -> NewAsset {
    NewAsset {
        path: PathBuf::from(format!("/media/card/A{i:03}_C001_{}.mov", "x".repeat(200))),
        name: format!("A{i:03}_C001.mov"),
        kind: AssetKind::Hero,
        filetype: "video/quicktime".into(),
        channel: 0,
        size: Some(1_000_000 + i as u64),
        mtime_ns: 1,
        media_created_ms: 1,
        fingerprint: Some(format!("{i:064}")),
        realtime: false,
        held: false,
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("state");
    std::fs::create_dir(&mnt).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&mnt)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        println!("SKIPPED: cannot mount a small tmpfs here (not root?)");
        return;
    }
    let _guard = Tmpfs(mnt.clone());
    let path = mnt.join("journal.sqlite");
    let mut j = Journal::open(&path).unwrap();
    for i in 0..20 {
        j.enqueue(&asset(i)).unwrap();
    }
    // Fill the rest of the disk.
    let filler = mnt.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    let mut full_error = None;
    for i in 20..5000 {
        match j.enqueue(&asset(i)) {
            Ok(_) => continue,
            Err(e) => {
                full_error = Some(e);
                break;
            }
        }
    }
    let err = full_error.expect("the disk fills up");
    assert!(matches!(err, JournalError::DiskFull), "{err:?}");
    assert!(err.to_string().contains("out of storage space"), "{err}");
    let queued_before = j.assets_in(&[AssetState::Queued]).unwrap().len();
    assert!(queued_before >= 20);
    drop(j);
    // Space back: the journal opens with everything it had, and takes new work.
    std::fs::remove_file(&filler).unwrap();
    let mut j = Journal::open(&path).unwrap();
    j.check_invariants().unwrap();
    assert_eq!(
        j.assets_in(&[AssetState::Queued]).unwrap().len(),
        queued_before
    );
    j.enqueue(&asset(9999)).unwrap();
}
