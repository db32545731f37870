//! Captures the JSON log lines the app writes, so tests can assert on them (for
//! example, that a request's id appears in its access-log line).

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use tracing_subscriber_writer::CaptureWriter;

static LINES: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();

fn buffer() -> &'static Mutex<Vec<u8>> {
    LINES.get_or_init(|| Mutex::new(Vec::new()))
}

/// Installs the app's JSON subscriber writing into the capture buffer (once per
/// test process).
pub(crate) fn install() {
    app::telemetry::init(|| CaptureWriter);
}

/// Every captured log line that contains `needle`, parsed as JSON.
pub fn captured_lines_containing(needle: &str) -> Vec<serde_json::Value> {
    let bytes = buffer().lock().map(|b| b.clone()).unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|line| line.contains(needle))
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

mod tracing_subscriber_writer {
    use super::*;

    pub struct CaptureWriter;

    impl Write for CaptureWriter {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut lines) = buffer().lock() {
                lines.extend_from_slice(data);
            }
            Ok(data.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
