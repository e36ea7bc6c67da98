//! authgen: put a working, secure authentication system into an existing repository.
//!
//! The pipeline, one module per stage, data flowing one way:
//! [`discover`] → [`configure`] → [`generate`] (plan, apply) → [`doctor`] → [`record`];
//! [`init`] runs them and reports (`init::report`).
//! `main.rs` only parses arguments and calls [`init::run`].

pub mod cli;
pub mod configure;
pub mod diagnostics;
pub mod discover;
pub mod doctor;
pub mod explain;
pub mod generate;
pub mod init;
pub mod manifest;
pub mod record;
pub mod secret;
pub mod token;
pub mod ui;
