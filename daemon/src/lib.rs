//! Ratchet's daemon: a sidecar that makes an app's `.env` a FIFO and serves
//! each open of it with a fresh fetch from the secrets API.
//!
//! The parts, in the order a read passes through them:
//! [`acceptor`] waits for a reader and swaps a fresh FIFO onto the path,
//! [`session`] serves that one open: [`fetch`] (authenticated by [`auth`])
//! gets the [`document`], [`render`] turns it into bytes, [`readers`] finds
//! who is reading, and [`audit`] records what happened. [`sweep`] releases
//! readers stranded on retired FIFOs; [`fifo`] holds the file-system moves;
//! [`server`] runs it all and shuts it down.

pub mod acceptor;
pub mod audit;
pub mod auth;
pub mod config;
pub mod document;
pub mod fetch;
pub mod fifo;
pub mod health;
pub mod readers;
pub mod render;
pub mod server;
pub mod session;
pub mod sweep;

pub use server::{ServeConfig, serve};
