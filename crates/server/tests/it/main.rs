//! All server integration tests, in one binary: the real server on port 0, real PTYs, real
//! WebSockets, and (in `sandboxes`) a real Docker engine.
#![allow(clippy::unwrap_used)]
mod claude;
mod harness;
mod projects;
mod sandboxes;
mod tasks;
mod terminals;
mod workflows;
