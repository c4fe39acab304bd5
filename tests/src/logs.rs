//! The log lines of everything in this test process (the in-process console
//! servers, their cluster clients), captured at debug level so tests can
//! check what never reaches a log, such as secret values.

use std::io::Write;
use std::sync::{Mutex, Once, OnceLock};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();
static INSTALLED: OnceLock<bool> = OnceLock::new();

struct Capture;

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        Capture
    }
}

/// Starts capturing (once per process); panics if another subscriber was
/// installed first, since the capture would then see nothing.
pub fn capture() {
    INSTALL.call_once(|| {
        let installed = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("debug,hyper=info,h2=info,rustls=info,tower=info"))
            .with_writer(Capture)
            .with_ansi(false)
            .try_init()
            .is_ok();
        let _ = INSTALLED.set(installed);
        tracing::info!(target: "e2e", "log capture started");
    });
    assert_eq!(INSTALLED.get(), Some(&true), "another tracing subscriber was installed first: logs cannot be captured");
}

/// Everything logged so far.
pub fn contents() -> String {
    String::from_utf8_lossy(&CAPTURED.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
}
