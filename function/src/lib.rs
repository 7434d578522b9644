//! Ratchet's function: a Lambda behind API Gateway that opens one sealed
//! profile per request with one KMS call, authorizes the caller and audits
//! every read; and `ratchet-seal`, the tool that seals profiles for it.
//!
//! The parts, by concept:
//! - [`profile`]: profile names and their environment variables;
//! - [`variables`]: a profile's names and values, wiped on drop;
//! - [`dotenv`] and [`input`]: what the seal tool reads;
//! - [`seal`]: the sealed format and envelope encryption;
//! - [`kms`]: the KMS seam, real and in memory;
//! - [`access`]: who may read which profile;
//! - [`config`]: the function's environment;
//! - [`handler`]: the HTTP API;
//! - [`audit`]: the audit line;
//! - [`output`] and [`cli`]: the seal tool's output and flow.

pub mod access;
pub mod audit;
pub mod cli;
pub mod config;
pub mod dotenv;
mod error;
pub mod handler;
pub mod input;
pub mod kms;
pub mod output;
pub mod profile;
pub mod seal;
pub mod variables;

pub use error::{DotenvProblem, Error};
pub use profile::ProfileName;
pub use variables::Variables;
