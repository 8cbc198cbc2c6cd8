//! What the uploader needs to know about a file on disk: size, times, a fingerprint of its head
//! and tail, its MIME type and kind, and a bounded stream of one part's bytes.

use std::io::SeekFrom;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::journal::AssetKind;

/// Bytes read from each end of a file for its fingerprint.
const FINGERPRINT_EDGE: u64 = 64 * 1024;
/// Read size of part streams: bounded memory per part in flight (decision 40).
pub const CHUNK: usize = 64 * 1024;
/// The most a part stream hands the HTTP stack at once. Its progress counter is the adaptive
/// limit's throughput measure ([`super::adapt`]): a loss-limited connection carries about
/// 256 KiB a second, so counted by 256 KiB reads a one-second window of 16 connections read
/// anywhere from 25 to 52 Mbit/s on a link steady at 40 (`scripts/bench-link`); counted by
/// slices the error is a few percent. It is also what each part in flight holds in the HTTP
/// stack: hyper queues up to 16 slices per connection, so 16 KiB slices held 256 KiB and 8 KiB
/// hold 128 KiB (decision 41: 0.3 MiB of RSS per part in flight instead of 0.5, no CPU cost on
/// loopback; 4 KiB cost 9 % more CPU).
pub const SLICE: usize = 8 * 1024;

/// Why a file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is gone")]
    Missing,
    #[error("the file cannot be read (permission denied)")]
    PermissionDenied,
    #[error("this is not a regular file")]
    NotAFile,
    #[error("the file changed since it was queued")]
    Changed,
    #[error("the file cannot be read: {0}")]
    Io(String),
}

impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => FileError::Missing,
            std::io::ErrorKind::PermissionDenied => FileError::PermissionDenied,
            std::io::ErrorKind::UnexpectedEof => FileError::Changed,
            _ => FileError::Io(e.to_string()),
        }
    }
}

/// Size and times of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileFacts {
    pub size: u64,
    pub mtime_ns: i64,
    /// Birth time when the filesystem knows it, else the modification time; Unix ms.
    pub created_ms: i64,
}

fn ns_since_epoch(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_nanos().min(i64::MAX as u128) as i64,
        Err(e) => -(e.duration().as_nanos().min(i64::MAX as u128) as i64),
    }
}

/// Size and times of a regular file (symlinks are followed; loops and directories are errors).
pub fn facts(path: &Path) -> Result<FileFacts, FileError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        // ELOOP (40 on Linux): a symlink loop.
        if e.raw_os_error() == Some(40) {
            FileError::NotAFile
        } else {
            FileError::from(e)
        }
    })?;
    if !meta.is_file() {
        return Err(FileError::NotAFile);
    }
    let mtime_ns = meta.modified().map(ns_since_epoch).unwrap_or(0);
    let created_ns = meta.created().map(ns_since_epoch).unwrap_or(mtime_ns);
    Ok(FileFacts {
        size: meta.len(),
        mtime_ns,
        created_ms: created_ns.min(mtime_ns) / 1_000_000,
    })
}

/// sha256 over a version tag, the size, the first and the last 64 KiB: cheap, and it tells a
/// rewritten or truncated file from the one that was queued.
pub async fn fingerprint(path: &Path, size: u64) -> Result<String, FileError> {
    let mut f = tokio::fs::File::open(path).await?;
    let mut h = Sha256::new();
    h.update(b"takeup-fingerprint-v1");
    h.update(size.to_le_bytes());
    let head = size.min(FINGERPRINT_EDGE);
    let mut buf = vec![0u8; head as usize];
    f.read_exact(&mut buf).await?;
    h.update(&buf);
    if size > FINGERPRINT_EDGE {
        let tail = (size - FINGERPRINT_EDGE).min(FINGERPRINT_EDGE);
        f.seek(SeekFrom::Start(size - tail)).await?;
        let mut buf = vec![0u8; tail as usize];
        f.read_exact(&mut buf).await?;
        h.update(&buf);
    }
    Ok(hex::encode(h.finalize()))
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The MIME type sent as `filetype` and as the part PUTs' Content-Type.
pub fn mime_for(path: &Path) -> &'static str {
    match extension(path).as_str() {
        "mov" | "qt" => "video/quicktime",
        "mp4" | "m4v" => "video/mp4",
        "mxf" => "application/mxf",
        "avi" => "video/x-msvideo",
        "mkv" => "video/x-matroska",
        "webm" => "video/webm",
        "braw" => "video/x-braw",
        "r3d" => "video/x-r3d",
        "wav" | "bwf" => "audio/wav",
        "aif" | "aiff" => "audio/aiff",
        "mp3" => "audio/mpeg",
        "m4a" | "aac" => "audio/mp4",
        "flac" => "audio/flac",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "heic" => "image/heic",
        "tif" | "tiff" => "image/tiff",
        "dng" => "image/x-adobe-dng",
        "raf" => "image/x-fujifilm-raf",
        "arw" => "image/x-sony-arw",
        "cr3" => "image/x-canon-cr3",
        "pdf" => "application/pdf",
        "txt" | "ale" | "edl" => "text/plain",
        "csv" => "text/csv",
        "xml" | "cdl" | "fcpxml" => "application/xml",
        "json" => "application/json",
        "cube" => "text/plain",
        _ => "application/octet-stream",
    }
}

/// The kind a file gets unless the user says otherwise: audio by extension, proxy when its name
/// or folder says so, other video as hero, everything else other.
pub fn kind_for(path: &Path) -> AssetKind {
    let mime = mime_for(path);
    let lower = path.to_string_lossy().to_ascii_lowercase();
    if mime.starts_with("audio/") {
        AssetKind::Audio
    } else if lower.contains("proxy") || lower.contains("proxies") {
        AssetKind::Proxy
    } else if mime.starts_with("video/") || mime == "application/mxf" {
        AssetKind::Hero
    } else {
        AssetKind::Other
    }
}

/// The name shown on Frame.io: the file name.
pub fn upload_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "untitled".to_string())
}

/// Whether the file can be opened and read (its first byte, when it has one).
pub async fn readable(path: &Path) -> Result<(), FileError> {
    let mut f = tokio::fs::File::open(path).await?;
    let mut one = [0u8; 1];
    let _bytes = f.read(&mut one).await?;
    Ok(())
}

/// The file's identity on its filesystem (device, inode): one file under several paths (a
/// symlink, `dir/../x`, a hard link) is one file; a new file under an old name is another.
pub fn file_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The digest a part's bytes are known by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestKind {
    /// Base64 MD5 (what `Content-MD5` carries): every part sent since schema v3.
    Md5,
    /// Hex SHA-256: parts acknowledged by older versions.
    Sha256,
}

/// Read size of range hashing and slice copies.
const HASH_CHUNK: usize = 256 * 1024;

/// Run a hashing job (one of the functions below) on a blocking thread, at most as many at once
/// as the machine has cores (up to 4): MD5 is CPU-bound, so more at once is no faster, and each
/// job holds a read buffer (with glibc, a thread of its own can also keep a malloc arena of its
/// own resident). Every part in flight is hashed before it goes, so without the bound the
/// memory of an upload grew with its parts in flight.
/// Returns what `spawn_blocking` returns, so each caller keeps its own answer to a job that did
/// not run to the end (the runtime shutting down).
pub async fn hashing<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores.clamp(1, 4))
    });
    let _permit = permits
        .acquire()
        .await
        .expect("the hashing semaphore is never closed");
    tokio::task::spawn_blocking(job).await
}

/// Hash `size` bytes of `path` from `offset` (blocking: call it off the async threads, through
/// [`hashing`]). A file shorter than that is [`FileError::Changed`].
pub fn hash_range(
    path: &Path,
    offset: u64,
    size: u64,
    kind: DigestKind,
) -> Result<String, FileError> {
    hash_and_copy(path, offset, size, kind, None)
}

/// Copy `size` bytes of `path` from `offset` into a new file `dest` (a platform executor's part
/// slice), hashing them on the way; the copy is kept only when its MD5 is `expect_md5` (the
/// lease's), so a slice never holds other bytes than the lease promised. Blocking.
pub fn write_slice(
    path: &Path,
    offset: u64,
    size: u64,
    expect_md5: &str,
    dest: &Path,
) -> Result<(), FileError> {
    let tmp = dest.with_extension("partial");
    let result = (|| {
        let mut out = std::fs::File::create(&tmp)?;
        let md5 = hash_and_copy(path, offset, size, DigestKind::Md5, Some(&mut out))?;
        if md5 != expect_md5 {
            return Err(FileError::Changed);
        }
        out.sync_all()?;
        std::fs::rename(&tmp, dest)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn hash_and_copy(
    path: &Path,
    offset: u64,
    size: u64,
    kind: DigestKind,
    mut copy: Option<&mut std::fs::File>,
) -> Result<String, FileError> {
    use std::io::{Read, Seek, Write};
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut md5 = md5::Md5::new();
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; HASH_CHUNK.min(size.max(1) as usize)];
    let mut left = size;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = f.read(&mut buf[..want])?;
        if n == 0 {
            return Err(FileError::Changed);
        }
        match kind {
            DigestKind::Md5 => md5.update(&buf[..n]),
            DigestKind::Sha256 => sha.update(&buf[..n]),
        }
        if let Some(out) = copy.as_deref_mut() {
            out.write_all(&buf[..n])?;
        }
        left -= n as u64;
    }
    Ok(match kind {
        DigestKind::Md5 => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(md5.finalize())
        }
        DigestKind::Sha256 => hex::encode(sha.finalize()),
    })
}

/// A stream of exactly `size` bytes of `path` from `offset`, read in bounded chunks of [`CHUNK`]
/// and handed out in slices of at most [`SLICE`], each counted into `progress` as it is handed
/// out. A file shorter than expected ends the stream with an `UnexpectedEof` error, so a
/// truncated file never sends a short part.
///
/// Each chunk is read on the blocking pool straight into the buffer that is handed out: a
/// `tokio::fs::File` reads into a buffer of its own, kept between reads, and copies from it,
/// which cost every part in flight a second chunk of memory and every byte a second copy.
pub async fn part_stream(
    path: &Path,
    offset: u64,
    size: u64,
    progress: Arc<AtomicU64>,
) -> Result<impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static, FileError> {
    let path = path.to_path_buf();
    let file = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        use std::io::Seek as _;
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(file)
    })
    .await
    .map_err(|_| FileError::Io("the runtime is shutting down".into()))??;
    // State: the file (`None` once it failed), the bytes still to read from it, the read chunk
    // not handed out yet.
    Ok(futures_util::stream::unfold(
        (Some(file), size, Bytes::new(), progress),
        |(mut file, mut unread, mut read, progress)| async move {
            if read.is_empty() {
                let f = file.take()?;
                if unread == 0 {
                    return None;
                }
                let want = unread.min(CHUNK as u64) as usize;
                let chunk = tokio::task::spawn_blocking(move || {
                    let mut buf = BytesMut::zeroed(want);
                    let got = read_full(&f, &mut buf);
                    (f, buf, got)
                })
                .await;
                match chunk {
                    Ok((f, buf, Ok(()))) => {
                        file = Some(f);
                        unread -= want as u64;
                        read = buf.freeze();
                    }
                    Ok((_, _, Err(e))) => return Some((Err(e), (None, 0, Bytes::new(), progress))),
                    Err(_) => {
                        let e = std::io::Error::other("the runtime is shutting down");
                        return Some((Err(e), (None, 0, Bytes::new(), progress)));
                    }
                }
            }
            let slice = read.split_to(read.len().min(SLICE));
            progress.fetch_add(slice.len() as u64, Ordering::Relaxed);
            Some((Ok(slice), (file, unread, read, progress)))
        },
    ))
}

/// Fill `buf` from `file`'s position; a file that ends first is an `UnexpectedEof` error.
fn read_full(mut file: &std::fs::File, buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read as _;
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the file is shorter than when it was planned",
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    /// A temporary file `name` of `len` bytes counting up modulo `modulus`, and those bytes.
    fn patterned_file(
        name: &str,
        len: usize,
        modulus: u32,
    ) -> (tempfile::TempDir, std::path::PathBuf, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        let data: Vec<u8> = (0..len as u32).map(|i| (i % modulus) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        (dir, p, data)
    }

    #[tokio::test]
    async fn fingerprint_tells_changes_apart() {
        let (_dir, p, data) = patterned_file("a.mov", 300_000, 251);
        let a = fingerprint(&p, data.len() as u64).await.unwrap();
        assert_eq!(a, fingerprint(&p, data.len() as u64).await.unwrap());
        let mut tail_changed = data.clone();
        *tail_changed.last_mut().unwrap() ^= 1;
        std::fs::write(&p, &tail_changed).unwrap();
        assert_ne!(a, fingerprint(&p, data.len() as u64).await.unwrap());
        std::fs::write(&p, b"").unwrap();
        assert!(fingerprint(&p, 0).await.is_ok());
        assert_eq!(fingerprint(&p, 10).await, Err(FileError::Changed));
    }

    #[tokio::test]
    async fn part_streams_are_exact_and_bounded() {
        let (_dir, p, data) = patterned_file("a.bin", CHUNK * 3 + 17, 253);
        let progress = Arc::new(AtomicU64::new(0));
        let (offset, size) = (100u64, CHUNK as u64 * 2 + 5);
        let s = part_stream(&p, offset, size, progress.clone())
            .await
            .unwrap();
        let chunks: Vec<Bytes> = s.map(|c| c.unwrap()).collect().await;
        let got: Vec<u8> = chunks.concat();
        assert_eq!(got, data[offset as usize..(offset + size) as usize]);
        assert!(chunks.iter().all(|c| c.len() <= CHUNK));
        assert_eq!(progress.load(Ordering::Relaxed), size);
        // Past the end: an error, never a short part.
        let s = part_stream(&p, data.len() as u64 - 10, 20, progress)
            .await
            .unwrap();
        let results: Vec<_> = s.collect().await;
        assert!(results.last().unwrap().is_err());
    }

    /// The progress counter measures throughput for the adaptive limit: it must move in steps
    /// no larger than a slice, each counted when it is handed out (a chunk read from disk is
    /// not sent yet).
    #[tokio::test]
    async fn part_streams_count_progress_slice_by_slice() {
        let (_dir, p, data) = patterned_file("a.bin", CHUNK * 2 + 99, 251);
        let progress = Arc::new(AtomicU64::new(0));
        let mut s = std::pin::pin!(
            part_stream(&p, 7, data.len() as u64 - 7, progress.clone())
                .await
                .unwrap()
        );
        let mut handed = 0u64;
        let mut items = 0;
        while let Some(item) = s.next().await {
            let slice = item.unwrap();
            assert!(!slice.is_empty() && slice.len() <= SLICE, "{}", slice.len());
            assert_eq!(&slice[..], &data[7 + handed as usize..][..slice.len()]);
            handed += slice.len() as u64;
            assert_eq!(progress.load(Ordering::Relaxed), handed);
            items += 1;
        }
        assert_eq!(handed, data.len() as u64 - 7);
        assert!(items >= (data.len() - 7).div_ceil(SLICE));
    }

    #[test]
    fn ranges_hash_like_the_whole_and_slices_keep_only_promised_bytes() {
        use base64::Engine as _;
        let (dir, p, data) = patterned_file("a.bin", 3_000_000, 251);
        let want = base64::engine::general_purpose::STANDARD
            .encode(md5::Md5::digest(&data[1000..2_500_000]));
        assert_eq!(
            hash_range(&p, 1000, 2_499_000, DigestKind::Md5).unwrap(),
            want
        );
        assert_eq!(
            hash_range(&p, 0, 10, DigestKind::Sha256).unwrap(),
            hex::encode(Sha256::digest(&data[..10]))
        );
        assert_eq!(
            hash_range(&p, 2_999_990, 20, DigestKind::Md5),
            Err(FileError::Changed)
        );
        let dest = dir.path().join("slice");
        write_slice(&p, 1000, 2_499_000, &want, &dest).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), &data[1000..2_500_000]);
        let other = dir.path().join("other");
        assert_eq!(
            write_slice(&p, 1001, 2_499_000, &want, &other),
            Err(FileError::Changed)
        );
        assert!(!other.exists() && !other.with_extension("partial").exists());
        assert_eq!(
            hash_range(&p, 5, 0, DigestKind::Md5).unwrap(),
            "1B2M2Y8AsgTpgAmY7PhCfg=="
        );
    }

    #[cfg(unix)]
    #[test]
    fn aliases_share_an_identity_and_a_new_file_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.mov");
        std::fs::write(&p, b"one").unwrap();
        let link = dir.path().join("link.mov");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        let id = file_id(&p).unwrap();
        assert_eq!(file_id(&link), Some(id));
        assert_eq!(
            file_id(&dir.path().join("sub/../x.mov")),
            None,
            "no such dir"
        );
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(file_id(&dir.path().join("sub/../x.mov")), Some(id));
        // The old file moved away (its inode still in use), a new one under its name.
        std::fs::rename(&p, dir.path().join("x.old")).unwrap();
        std::fs::write(&p, b"two").unwrap();
        assert_ne!(file_id(&p), Some(id), "a new file under the old name");
    }

    #[test]
    fn kinds_and_types() {
        assert_eq!(mime_for(Path::new("/a/A001.MOV")), "video/quicktime");
        assert_eq!(kind_for(Path::new("/a/A001.MOV")), AssetKind::Hero);
        assert_eq!(kind_for(Path::new("/a/Proxy/A001.mp4")), AssetKind::Proxy);
        assert_eq!(kind_for(Path::new("/a/take1.WAV")), AssetKind::Audio);
        assert_eq!(kind_for(Path::new("/a/notes.txt")), AssetKind::Other);
        assert_eq!(mime_for(Path::new("/a/noext")), "application/octet-stream");
    }
}
