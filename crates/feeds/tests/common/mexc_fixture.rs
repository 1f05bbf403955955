//! The frames of `tests/fixtures/mexc_session.rec`, a short MEXC session in
//! the recording format: built here from the documented examples (no real
//! MEXC capture exists under ../shared/data), so the test can check that
//! the file still is what the recorder writes today.

use super::frames::{deals, kline, ticker};
use omni_feeds::frame::{Frame, record_line};

/// Receive time of the first frame, ns since the epoch.
pub const T0: i64 = 1_736_412_092_433_000_000;

/// (receive ns, frame) of the session, in order.
pub fn session() -> Vec<(i64, Vec<u8>, bool)> {
    let text = |s: &str| (s.as_bytes().to_vec(), false);
    let bin = |b: Vec<u8>| (b, true);
    let frames = vec![
        text(r#"{"id":0,"code":0,"msg":"spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT"}"#),
        bin(ticker(
            "BTCUSDT", "93387.28", "3.73485", "93387.29", "7.669875",
        )),
        bin(deals(
            "BTCUSDT",
            &[("93220.00", "0.04438243", 2), ("93220.01", "0.5", 1)],
        )),
        bin(kline("BTCUSDT", 1_736_410_500, "93158.47")),
        bin(vec![0x0a, 0x7f, 0x01]),
        text(r#"{"id":0,"code":0,"msg":"PONG"}"#),
        bin(kline("BTCUSDT", 1_736_410_560, "93160")),
        bin(ticker("ETHUSDT", "3301.5", "12.25", "3301.51", "0.1")),
    ];
    frames
        .into_iter()
        .enumerate()
        .map(|(i, (f, b))| (T0 + i as i64 * 100_000_000, f, b))
        .collect()
}

/// The session as the recorder writes it, one line per frame.
pub fn lines() -> String {
    session()
        .iter()
        .map(|(ns, f, binary)| {
            let frame = if *binary {
                Frame::Binary(f)
            } else {
                Frame::Text(std::str::from_utf8(f).expect("text"))
            };
            record_line(*ns, "mexc", frame) + "\n"
        })
        .collect()
}
