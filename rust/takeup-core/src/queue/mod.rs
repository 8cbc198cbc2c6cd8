//! The durable upload queue: a SQLite journal ([`journal`]) with part leases, the planner
//! ([`planner`]: what an asset needs next, no I/O) and the drivers that carry its steps out
//! ([`driver`]), the lease entry points every executor uses ([`lease`]) and the engine's own
//! executor ([`executor`]), the scheduler and status ([`uploader`], [`status`]), failure
//! classification ([`classify`]), answer parsers ([`wire`]), part plans ([`plan`]) and file
//! inspection ([`file`]).

pub mod adapt;
pub mod classify;
pub mod config;
mod driver;
mod executor;
pub mod file;
pub mod journal;
pub mod lease;
pub mod naming;
pub mod plan;
pub mod planner;
mod shared;
pub mod status;
pub mod uploader;
pub mod wire;

pub use journal::{
    AssetKind, AssetRow, AssetState, Enqueued, Journal, JournalError, PartRow, PartState, Totals,
};
pub use lease::{PartTransfer, TransferAck, TransferError, TransferHeader};
pub use status::{FileEntry, Hold, QueueMode, QueueStatus};
pub use uploader::{BackgroundRun, EnqueueOptions, QueueConfig, QueueError, UploadQueue};
