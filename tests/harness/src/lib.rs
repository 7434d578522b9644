//! What the tests that start real tools share: finding the tools that
//! `scripts/tools.sh` installs ([`tools`]), child processes that are stopped
//! when their guard drops and wait for the servers they run ([`process`]),
//! and the command that starts LocalStack's runtime on 127.0.0.1
//! ([`localstack`]).

pub mod localstack;
pub mod process;
pub mod tools;
