//! Where the engine's audit records go after each event.
//!
//! The drivers hand every batch of audits to a sink before any order in the
//! same batch reaches a broker, so an order is recorded before it is sent.
//! The store implements this trait; tests and benchmarks use the in-memory
//! sinks below.

use super::Audit;

/// A sink that could not take a batch. The driver stops on it: an audit
/// that cannot be recorded must not be followed by the order it describes.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SinkError(pub Box<dyn std::error::Error + Send + Sync>);

impl SinkError {
    /// Wraps the sink's own error, keeping it as the source.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(e))
    }
}

/// Where audit records go.
pub trait AuditSink {
    /// Takes the records (the vector is left empty).
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), SinkError>;
}

/// Discards audit records (benchmarks of the engine alone).
#[derive(Debug, Default)]
pub struct NullSink;

impl AuditSink for NullSink {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), SinkError> {
        audits.clear();
        Ok(())
    }
}

impl AuditSink for Vec<Audit> {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), SinkError> {
        self.append(audits);
        Ok(())
    }
}

/// Counts the audit records passing to another sink.
pub struct CountingSink<'a> {
    pub inner: &'a mut dyn AuditSink,
    /// Records passed so far.
    pub count: u64,
}

impl AuditSink for CountingSink<'_> {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), SinkError> {
        self.count += audits.len() as u64;
        self.inner.record(audits)
    }
}
