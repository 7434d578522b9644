//! What the end-to-end tests share, in the order a read passes through it:
//! [`readers`] open the FIFO that a [`daemon`] serves; the daemon calls the
//! stand-in [`gateway`], which invokes the function ([`lambda`]) that opens
//! the sealed [`profiles`] with LocalStack's KMS ([`localstack`]), all of it
//! deployed by the hooks ([`stack`]) from the shipped [`artifacts`]. A
//! [`chain`] holds one test's parts and ends with the [`evidence`] checks.
//! [`process`] (the harness's) guards every child, [`tools`] finds things,
//! [`cleanup`] runs at exit.

#![allow(dead_code)]

pub mod artifacts;
pub mod chain;
pub mod cleanup;
pub mod daemon;
pub mod evidence;
pub mod gateway;
pub mod lambda;
pub mod localstack;
pub mod profiles;
pub mod readers;
pub mod stack;
pub mod tools;

pub use ratchet_harness::process;

use ratchet_daemon::document::Document;
use ratchet_daemon::render::{Format, render};

/// What the daemon writes for `profile` in `format`, by its own renderer.
pub fn payload(format: Format, profile: &profiles::Profile) -> Vec<u8> {
    let document: Document = serde_json::from_value(serde_json::json!({
        "profile": profile.name,
        "version": "any",
        "variables": profile.variables,
    }))
    .expect("a document");
    render(format, &document)
        .expect("the profile renders in this format")
        .to_vec()
}
