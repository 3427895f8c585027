//! Integration tests of the definition language, in one test binary.
#![allow(clippy::unwrap_used)]

mod cron;
mod definitions;
mod expr;
mod problems;
