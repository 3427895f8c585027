//! WebSockets. `terminal`: one browser view of one terminal (protocol in `docs/protocol.md`);
//! `events`: state changes for dashboards.
pub mod events;
pub mod messages;
pub mod terminal;
