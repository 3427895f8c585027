//! Terminal sessions, independent of transport and of where the process runs.
//!
//! - [`session`]: the bounded, offset-addressed output buffer, the server-side screen emulator
//!   (`avt`) for snapshots, the asciicast recording, and the control channel to the producer.
//! - [`viewer`]: one consumer's cursor with acknowledgement flow control and lag skipping.
//! - [`local`]: a producer that runs the process on a local PTY (crate `pty`).
//! - [`recording`], [`utf8`], [`modes`]: asciicast writer, streaming UTF-8, tracked DEC modes.
pub mod local;
mod modes;
pub mod recording;
pub mod session;
mod utf8;
pub mod viewer;

pub use pty::SpawnSpec;
pub use session::{
    Control, Driver, ExitStatus, Info, ProcessState, Read, Session, SessionConfig, SessionError,
    Snapshot,
};
pub use viewer::{FlowConfig, Viewer, ViewerEvent};
