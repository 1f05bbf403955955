//! The mock's instrument details, `GET /trade/instruments/{tradableInstrumentId}
//! ?routeId=<INFO route>&locale=en`, shaped as TradeLocker serves them:
//! the contract size as `lotSize` (units per lot), the lot rules
//! `minLot`/`lotStep`/`maxLot`, and `tickSize` and `tickCost` as ladders
//! of `{"leftRangeLimit","rightRangeLimit",…}` bands (one open band here).
//! The instrument list carries none of these, as on the real API: the
//! details are the only place a client finds the contract size.
//!
//! Numbers go out as JSON numbers written from the decimals' digits.
//! Fields a test hides ([`super::MockTradeLocker::hide_detail`]) are left
//! out, as a broker that does not send them would.

use super::book::MockInstrument;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

fn num(d: Decimal) -> String {
    d.normalize().to_string()
}

fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The `d` of the details of `ins`, without the fields in `hidden`.
pub(crate) fn details(ins: &MockInstrument, hidden: &BTreeSet<String>) -> String {
    let (base, quote) = ins.name.split_at(ins.name.len().min(3));
    let fields: Vec<(&str, String)> = vec![
        ("tradableInstrumentId", ins.tradable_id.to_string()),
        ("id", ins.id.to_string()),
        ("name", quoted(&ins.name)),
        ("localizedName", quoted(&ins.name)),
        ("description", quoted(&ins.name)),
        ("type", quoted("FOREX")),
        ("tradingExchange", quoted("FOREX")),
        ("marketDataExchange", quoted("FOREX")),
        ("baseCurrency", quoted(base)),
        ("quotingCurrency", quoted(quote)),
        ("country", "null".into()),
        ("isin", quoted("")),
        ("hasDaily", "true".into()),
        ("hasIntraday", "true".into()),
        ("barSource", quoted("BID")),
        ("lotSize", num(ins.contract_size)),
        ("lotStep", num(ins.lot_step)),
        ("minLot", num(ins.min_lot)),
        ("maxLot", num(ins.max_lot)),
        (
            "tickSize",
            format!(
                r#"[{{"leftRangeLimit":null,"rightRangeLimit":null,"tickSize":{}}}]"#,
                num(ins.tick_size)
            ),
        ),
        (
            "tickCost",
            format!(
                r#"[{{"leftRangeLimit":null,"rightRangeLimit":null,"tickCost":{}}}]"#,
                num(ins
                    .tick_size
                    .checked_mul(ins.contract_size)
                    .unwrap_or(Decimal::ZERO))
            ),
        ),
        ("tradeSessionId", "1".into()),
        ("tradeSessionStatusId", "1".into()),
        ("symbolStatus", quoted("FULLY_OPEN")),
        ("settlementSystem", quoted("Immediate")),
        (
            "routes",
            format!(
                r#"[{{"id":{},"type":"TRADE"}},{{"id":{},"type":"INFO"}}]"#,
                ins.trade_route, ins.info_route
            ),
        ),
    ];
    let body: Vec<String> = fields
        .into_iter()
        .filter(|(k, _)| !hidden.contains(*k))
        .map(|(k, v)| format!("{}:{v}", quoted(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_details_carry_the_contract_size_and_hide_what_a_test_hides() {
        let b = super::super::book::Book::new();
        let eur = &b.instruments[0];
        let v: serde_json::Value = serde_json::from_str(&details(eur, &BTreeSet::new())).unwrap();
        assert_eq!(v["lotSize"], 100000);
        assert_eq!(v["minLot"], 0.01);
        assert_eq!(v["tickSize"][0]["tickSize"], 0.00001);
        assert_eq!(
            (v["baseCurrency"].as_str(), v["quotingCurrency"].as_str()),
            (Some("EUR"), Some("USD"))
        );
        let hidden = BTreeSet::from(["lotSize".to_string()]);
        let v: serde_json::Value = serde_json::from_str(&details(eur, &hidden)).unwrap();
        assert!(v.get("lotSize").is_none());
        assert_eq!(v["lotStep"], 0.01);
    }
}
