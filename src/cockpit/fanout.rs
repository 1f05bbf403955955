//! The engine thread's audit sink: each batch goes to the store, then the
//! records the trade log shows go to the UI. The store gets the batch first,
//! and the driver calls the sink before any order in the batch reaches a
//! broker, so an order is recorded before it is sent.

use crate::app::log::LogEvent;
use omni_core::domain::{OrderId, OrderPurpose};
use omni_core::engine::{Audit, AuditSink, SinkError};
use omni_store::{StoreError, StoreHandle};
use std::collections::HashMap;
use std::sync::mpsc;

/// Hands every batch to the store and the trade log's records to the UI.
pub struct FanOutSink {
    store: StoreHandle,
    log: mpsc::Sender<Vec<LogEvent>>,
    /// Records passed so far; the store numbers a run's records the same way.
    count: i64,
    /// Purpose of each order still working: a fill's row names it.
    purposes: HashMap<OrderId, OrderPurpose>,
}

impl FanOutSink {
    /// The UI reads the trade log's records from `log`; if it has gone,
    /// the store still gets everything.
    pub fn new(store: StoreHandle, log: mpsc::Sender<Vec<LogEvent>>) -> Self {
        Self {
            store,
            log,
            count: 0,
            purposes: HashMap::new(),
        }
    }

    /// Flushes the store and stops its writer.
    pub fn close(self) -> Result<(), StoreError> {
        self.store.close()
    }
}

impl AuditSink for FanOutSink {
    fn record(&mut self, audits: &mut Vec<Audit>) -> Result<(), SinkError> {
        if audits.is_empty() {
            return Ok(());
        }
        let mut events = Vec::new();
        for (seq, a) in (self.count + 1..).zip(audits.iter()) {
            match a {
                Audit::OrderCreated(o) => {
                    self.purposes.insert(o.id, o.purpose);
                }
                Audit::Fill { fill, .. } => events.push(LogEvent {
                    seq,
                    audit: a.clone(),
                    purpose: self.purposes.get(&fill.order_id).copied(),
                }),
                // A terminal order takes no more fills.
                Audit::OrderChanged { id, status, .. } if status.is_terminal() => {
                    self.purposes.remove(id);
                }
                _ if LogEvent::is_logged(a) => events.push(LogEvent {
                    seq,
                    audit: a.clone(),
                    purpose: None,
                }),
                _ => {}
            }
        }
        self.count += audits.len() as i64;
        self.store.record(audits)?;
        if !events.is_empty() {
            // A closed receiver means the UI has stopped: nothing to tell.
            let _ = self.log.send(events);
        }
        Ok(())
    }
}
