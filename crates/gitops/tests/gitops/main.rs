//! Integration tests of `gitops` against real git on temporary repositories.

#![allow(clippy::unwrap_used)]

mod checkout;
mod inside;
mod mirror;
mod remote;
mod security;
mod support;
