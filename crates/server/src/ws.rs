//! WebSockets. `terminal`: one browser view of one terminal (protocol in `docs/protocol.md`).
pub mod messages;
pub mod terminal;
