//! Diagnostics on stderr, off by default beyond warnings, and only cfsecret's own.
//!
//! Dependencies (HTTP stacks, D-Bus) log requests at debug level; their records are dropped so
//! that no verbosity can surface a header or a body. cfsecret's own log lines are written from
//! ids, paths and statuses only.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct StderrLogger {
    level: LevelFilter,
}

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level
            && (metadata.target().starts_with("cfsecret")
                || metadata.target().starts_with("fake_cloudflare"))
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let tag = match record.level() {
                Level::Error => "error",
                Level::Warn => "warning",
                Level::Info => "info",
                Level::Debug => "debug",
                Level::Trace => "trace",
            };
            let text = record.args().to_string();
            eprintln!("cfsecret: {tag}: {}", crate::terminal::sanitize(&text));
        }
    }

    fn flush(&self) {}
}

/// Installs the logger: `quiet` shows errors only, `verbose` 0 warnings, 1 info, 2 debug, 3 trace.
pub(crate) fn init(quiet: bool, verbose: u8) {
    let level = if quiet {
        LevelFilter::Error
    } else {
        match verbose {
            0 => LevelFilter::Warn,
            1 => LevelFilter::Info,
            2 => LevelFilter::Debug,
            _ => LevelFilter::Trace,
        }
    };
    if log::set_boxed_logger(Box::new(StderrLogger { level })).is_ok() {
        log::set_max_level(level);
    }
}
