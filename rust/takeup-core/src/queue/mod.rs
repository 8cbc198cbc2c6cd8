//! The durable upload queue: a SQLite journal ([`journal`]), the scheduler and uploader
//! ([`uploader`]), failure classification ([`classify`]), file inspection and part streams
//! ([`file`]) and the status UIs show ([`status`]).

pub mod adapt;
pub mod classify;
pub mod file;
pub mod journal;
pub mod naming;
pub mod status;
pub mod uploader;
pub mod wire;

pub use journal::{
    AssetKind, AssetRow, AssetState, Enqueued, Journal, JournalError, PartRow, PartState, Totals,
};
pub use status::{FileEntry, Hold, QueueMode, QueueStatus};
pub use uploader::{BackgroundRun, EnqueueOptions, QueueConfig, QueueError, UploadQueue};
