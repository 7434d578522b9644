//! Ratchet end to end: a reader's `open()` of `.env`, the daemon's fetch,
//! API Gateway (a stand-in on 127.0.0.1 where LocalStack cannot play it),
//! the function's real `bootstrap` under a Lambda Runtime API emulator, and
//! KMS in LocalStack; then the way back, and the audit trails of it all.
//! The container tests run the daemon image and a reader image, where
//! Docker runs.
//!
//! One test binary, so that one LocalStack and one deployed stack serve
//! every test; each topic is a module. Every test needs the tools of
//! `scripts/tools.sh` and is run by `scripts/test-e2e.sh`.

mod support;

mod access;
mod containers;
mod deploy;
mod formats;
mod kms;
mod rotation;
