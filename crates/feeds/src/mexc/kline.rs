//! One-minute bars from MEXC's kline pushes. MEXC pushes the running
//! candle as it changes and never says it closed; a candle is taken as
//! closed when the first push of a later window arrives, and is then
//! emitted as it last stood. (A bar of the window that was running when a
//! connection ended is lost: the next connection starts afresh.)

use super::proto::PublicSpotKlineV3Api;
use crate::parser::{FrameKind, dec};
use omni_core::domain::{Bar, InstrumentId, Timeframe, Timestamp};
use omni_core::market::MarketEvent;
use std::collections::HashMap;

/// The interval we subscribe to and turn into [`Timeframe::M1`] bars.
pub const INTERVAL: &str = "Min1";

/// The running candle of each instrument.
#[derive(Debug, Default)]
pub struct Klines {
    running: HashMap<InstrumentId, Bar>,
}

impl Klines {
    /// Takes one kline push: appends the previous candle as a closed bar
    /// when this push opens a later window. `Data` when a bar was closed;
    /// `Ignored` for a running update, another interval or a stale window.
    pub fn update(
        &mut self,
        instrument: InstrumentId,
        k: &PublicSpotKlineV3Api,
        out: &mut Vec<MarketEvent>,
    ) -> FrameKind {
        if k.interval != INTERVAL {
            return FrameKind::Ignored;
        }
        let (Some(open), Some(high), Some(low), Some(close), Some(volume)) = (
            dec(&k.opening_price),
            dec(&k.highest_price),
            dec(&k.lowest_price),
            dec(&k.closing_price),
            dec(&k.volume),
        ) else {
            return FrameKind::Malformed("kline with a bad number".into());
        };
        // MEXC's window start is in seconds; a minute's start is a whole minute.
        if k.window_start <= 0 || k.window_start % 60 != 0 {
            return FrameKind::Malformed(format!("kline window start {}", k.window_start));
        }
        let bar = Bar {
            instrument,
            timeframe: Timeframe::M1,
            open_ts: Timestamp::from_secs(k.window_start),
            open,
            high,
            low,
            close,
            volume,
        };
        match self.running.get(&instrument) {
            Some(prev) if bar.open_ts < prev.open_ts => FrameKind::Ignored,
            Some(prev) if bar.open_ts > prev.open_ts => {
                out.push(MarketEvent::Bar(*prev));
                self.running.insert(instrument, bar);
                FrameKind::Data
            }
            _ => {
                self.running.insert(instrument, bar);
                FrameKind::Ignored
            }
        }
    }
}
