//! The MEXC parser on frames built with the hand-written protobuf structs.

use super::proto::*;
use super::*;
use omni_core::domain::{Bar, InstrumentId, Timeframe, VenueId};
use rust_decimal::Decimal;
use std::str::FromStr;

fn parser() -> MexcParser {
    let mut m = SymbolMap::new(VenueId(5));
    m.insert("BTCUSDT".into(), InstrumentId(0));
    MexcParser::new(m)
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn wrap(channel: &str, body: Body) -> Vec<u8> {
    PushDataV3ApiWrapper {
        channel: channel.into(),
        body: Some(body),
        symbol: Some("BTCUSDT".into()),
        symbol_id: None,
        create_time: None,
        send_time: Some(1_736_412_092_433),
    }
    .encode_to_vec()
}

fn sample_push() -> Vec<u8> {
    wrap(
        &book_ticker_channel("BTCUSDT"),
        Body::PublicAggreBookTicker(PublicAggreBookTickerV3Api {
            bid_price: "93387.28".into(),
            bid_quantity: "3.73485".into(),
            ask_price: "93387.29".into(),
            ask_quantity: "7.669875".into(),
            version: String::new(),
            last_order_create_time: 0,
        }),
    )
}

fn kline(start: i64, close: &str) -> Vec<u8> {
    wrap(
        &kline_channel("BTCUSDT"),
        Body::PublicSpotKline(PublicSpotKlineV3Api {
            interval: "Min1".into(),
            window_start: start,
            opening_price: "92925".into(),
            closing_price: close.into(),
            highest_price: "93158.47".into(),
            lowest_price: "92800".into(),
            volume: "36.83803224".into(),
            amount: "3424811.05".into(),
            window_end: start + 60,
        }),
    )
}

#[test]
fn the_sample_push_is_the_encoders_output() {
    assert_eq!(SAMPLE_PUSH, sample_push().as_slice());
}

#[test]
fn book_ticker_is_an_exact_quote() {
    let mut p = parser();
    let mut out = Vec::new();
    let t = Timestamp::from_secs(1_736_412_092);
    assert_eq!(p.parse_binary(SAMPLE_PUSH, t, &mut out), FrameKind::Data);
    let MarketEvent::Quote(q) = out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(
        (q.bid, q.bid_qty, q.ask, q.ask_qty, q.ts, q.venue),
        (
            d("93387.28"),
            d("3.73485"),
            d("93387.29"),
            d("7.669875"),
            t,
            VenueId(5)
        )
    );
    assert_eq!(q.ask_qty.to_string(), "7.669875");
}

#[test]
fn deals_are_trades_all_or_nothing() {
    let mut p = parser();
    let mut out = Vec::new();
    let item = |price: &str, ty| PublicAggreDealsV3ApiItem {
        price: price.into(),
        quantity: "0.04438243".into(),
        trade_type: ty,
        time: 1_736_409_765_051,
        trade_id: String::new(),
    };
    let frame = |items| {
        wrap(
            &deals_channel("BTCUSDT"),
            Body::PublicAggreDeals(PublicAggreDealsV3Api {
                deals: items,
                event_type: "spot@public.aggre.deals.v3.api.pb@100ms".into(),
            }),
        )
    };
    let t = Timestamp::from_secs(9);
    let two = frame(vec![item("93220.00", 2), item("93220.01", 1)]);
    assert_eq!(p.parse_binary(&two, t, &mut out), FrameKind::Data);
    assert_eq!(out.len(), 2);
    let (MarketEvent::Trade(a), MarketEvent::Trade(b)) = (&out[0], &out[1]) else {
        panic!("{out:?}")
    };
    assert_eq!((a.price, a.aggressor), (d("93220.00"), Aggressor::Sell));
    assert_eq!(
        (b.price, b.qty, b.aggressor),
        (d("93220.01"), d("0.04438243"), Aggressor::Buy)
    );
    let bad = frame(vec![item("1", 1), item("x", 1)]);
    assert!(p.parse_binary(&bad, t, &mut out).is_dropped());
    let odd = frame(vec![item("1", 3)]);
    assert!(p.parse_binary(&odd, t, &mut out).is_dropped());
    assert_eq!(out.len(), 2, "a bad deal drops its whole frame");
    assert_eq!(
        p.parse_binary(&frame(vec![]), t, &mut out),
        FrameKind::Ignored
    );
}

#[test]
fn a_kline_becomes_a_bar_when_the_next_minute_opens() {
    let mut p = parser();
    let mut out = Vec::new();
    let t = Timestamp::from_secs(1_736_410_600);
    let m0 = 1_736_410_500;
    assert_eq!(
        p.parse_binary(&kline(m0, "93000"), t, &mut out),
        FrameKind::Ignored
    );
    assert_eq!(
        p.parse_binary(&kline(m0, "93158.47"), t, &mut out),
        FrameKind::Ignored
    );
    assert_eq!(
        p.parse_binary(&kline(m0 + 60, "1"), t, &mut out),
        FrameKind::Data
    );
    assert_eq!(
        out,
        [MarketEvent::Bar(Bar {
            instrument: InstrumentId(0),
            timeframe: Timeframe::M1,
            open_ts: Timestamp::from_secs(m0),
            open: d("92925"),
            high: d("93158.47"),
            low: d("92800"),
            close: d("93158.47"),
            volume: d("36.83803224"),
        })]
    );
    assert_eq!(
        p.parse_binary(&kline(m0, "5"), t, &mut out),
        FrameKind::Ignored,
        "stale"
    );
    assert!(
        p.parse_binary(&kline(m0 + 1, "5"), t, &mut out)
            .is_dropped()
    );
    assert_eq!(out.len(), 1);
}

#[test]
fn json_answers() {
    let mut p = parser();
    let mut out = Vec::new();
    let t = Timestamp(0);
    assert_eq!(p.parse(SAMPLE_PONG, t, &mut out), FrameKind::Heartbeat);
    let ack = r#"{"id":0,"code":0,"msg":"spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"}"#;
    assert_eq!(p.parse(ack, t, &mut out), FrameKind::Control);
    let refused = r#"{"id":0,"code":0,"msg":"Not Subscribed successfully! [spot@public.deals.v3.api@BTCUSDT].  Reason： Blocked! "}"#;
    assert!(
        matches!(p.parse(refused, t, &mut out), FrameKind::Malformed(m) if m.contains("Blocked"))
    );
    assert_eq!(p.parse(r#"{"hello":1}"#, t, &mut out), FrameKind::Unknown);
    assert!(p.parse("PONG", t, &mut out).is_dropped());
    assert!(out.is_empty());
}

#[test]
fn garbage_other_bodies_and_other_symbols() {
    let mut p = parser();
    let mut out = Vec::new();
    let t = Timestamp(0);
    assert!(
        p.parse_binary(&[0xff, 0xfe, 0x00], t, &mut out)
            .is_dropped()
    );
    // A depth push: a body we do not declare, skipped as an unknown field.
    let mut depth = PushDataV3ApiWrapper {
        channel: "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT".into(),
        ..Default::default()
    }
    .encode_to_vec();
    depth.extend([0xea, 0x13, 0x02, 0x0a, 0x00]); // field 313, 2 bytes
    assert_eq!(p.parse_binary(&depth, t, &mut out), FrameKind::Ignored);
    let mut eth = sample_push();
    let w = PushDataV3ApiWrapper::decode(eth.as_slice()).unwrap();
    eth = PushDataV3ApiWrapper {
        symbol: Some("ETHUSDT".into()),
        ..w.clone()
    }
    .encode_to_vec();
    assert_eq!(p.parse_binary(&eth, t, &mut out), FrameKind::Ignored);
    // No symbol field: the channel names it.
    let bare = PushDataV3ApiWrapper { symbol: None, ..w }.encode_to_vec();
    assert_eq!(p.parse_binary(&bare, t, &mut out), FrameKind::Data);
    assert_eq!(channel_symbol(&kline_channel("BTCUSDT")), "BTCUSDT");
    assert_eq!(channel_symbol(&deals_channel("ETHUSDT")), "ETHUSDT");
}

#[test]
fn subscription_stays_within_thirty_channels() {
    let syms: Vec<String> = (0..SYMBOLS_PER_CONNECTION)
        .map(|i| format!("S{i}USDT"))
        .collect();
    let s = subscription(&syms);
    let channels: usize = s.messages.iter().map(|m| m.matches("spot@").count()).sum();
    assert_eq!(channels, MAX_SUBSCRIPTIONS);
    assert_eq!(
        subscription(&["BTCUSDT".into()]).messages,
        [
            r#"{"method":"SUBSCRIPTION","params":["spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT","spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT","spot@public.kline.v3.api.pb@BTCUSDT@Min1"]}"#
        ]
    );
    assert_eq!(s.app_ping, Some((PING_EVERY, PING.to_string())));
}
