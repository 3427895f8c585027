//! The core of AnyCode, free of HTTP: what the API does, in terms of sessions, sandboxes and rows.
//!
//! - [`terminals`]: the terminal hub — local terminals and mirrors of sandbox terminals, with
//!   their records.
//! - [`fleet`]: sandboxes — create/start/stop/destroy through a `SandboxDriver`, agent links
//!   (reconnected after a drop or a server restart), reconciliation with the engine, idle TTL,
//!   resource stats, change events.
//! - [`tunnels`]: the server side of each sandbox's loopback ports (egress and model proxies).
//! - [`projects`]: imported repositories, their mirrors, the Git work of project sandboxes
//!   (run inside the sandbox), pull requests.
//! - [`agent_state`]: each Claude agent's state from hooks; [`claude`]: its config and env;
//!   [`credential_mode`]: proxy (default) or direct credentials per sandbox.
pub mod agent_state;
pub mod claude;
pub mod claude_cli;
pub mod credential_mode;
pub mod fleet;
pub mod projects;
pub mod runs;
pub mod tasks;
pub mod terminals;
pub mod tunnels;
pub mod workflows;

pub use credential_mode::CredentialMode;
pub use fleet::{Checkout, Fleet, FleetConfig, FleetError, FleetEvent, NewSandbox, SandboxState};
pub use projects::{ProjectError, Projects, ProjectsConfig};
pub use tasks::{Tasks, TasksConfig};
pub use terminals::{HubConfig, HubError, NewTerminal, TerminalHub};
pub use workflows::Workflows;
