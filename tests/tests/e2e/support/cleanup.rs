//! What happens when the test binary exits. Statics are never dropped, so
//! the shared LocalStack is stopped and the run's tree removed by an
//! `atexit` hook; everything else a test starts is stopped when its guard
//! is dropped.

use std::sync::Once;

/// Registers the exit hook, once.
pub fn register() {
    static REGISTER: Once = Once::new();
    // SAFETY: registers a plain function without arguments, once.
    REGISTER.call_once(|| unsafe {
        libc::atexit(on_exit);
    });
}

extern "C" fn on_exit() {
    if let Some(localstack) = super::localstack::SHARED.get() {
        localstack.stop();
    }
    if let Some(root) = super::tools::RUN_ROOT.get() {
        if std::env::var_os("RATCHET_E2E_KEEP").is_some() {
            eprintln!("ratchet-e2e: kept the run's tree at {}", root.display());
        } else {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}
