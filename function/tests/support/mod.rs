//! What the integration tests share: fixture events, KMS emulators
//! and the scenarios run against each emulator.
//!
//! Each test file uses part of it only.
#![allow(dead_code)]

pub mod emulator;
pub mod events;
pub mod scenarios;
