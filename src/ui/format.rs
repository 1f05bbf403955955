//! Formatting shared by the panes: numbers, and the snapshot's data turned
//! into the words the panes show.

use crate::app::snapshot::{OppRow, Snapshot};
use omni_core::domain::{Direction, OpportunityDetail};
use rust_decimal::Decimal;

/// A price with the instrument's decimals.
pub fn price(d: Decimal, dp: u32) -> String {
    format!("{:.*}", dp as usize, d.round_dp(dp))
}

/// Money with two decimals and a sign.
pub fn money(d: Decimal) -> String {
    let r = d.round_dp(2);
    if r > Decimal::ZERO {
        format!("+{r:.2}")
    } else {
        format!("{r:.2}")
    }
}

/// A quantity without trailing zeros.
pub fn qty(d: Decimal) -> String {
    d.round_dp(8).normalize().to_string()
}

/// A quantity in at most `width` characters: fewer decimals until it fits,
/// and a quantity that would round to nothing (the dust a triangular cycle
/// leaves, 0.000001492 BTC) in scientific notation (`1.5e-6`), never a
/// misleading `0.00000`.
pub fn qty_in(d: Decimal, width: usize) -> String {
    for dp in (0..=8).rev() {
        let s = d.round_dp(dp).normalize().to_string();
        if s.chars().count() <= width {
            if d.round_dp(dp).is_zero() && !d.is_zero() {
                break;
            }
            return s;
        }
    }
    use rust_decimal::prelude::ToPrimitive;
    format!("{:.1e}", d.to_f64().unwrap_or(0.0))
}

/// Milliseconds as `850ms`, `4.2s` or `3m`.
pub fn age(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m", ms / 60_000)
    }
}

/// Seconds as `42s` or `3m05s`.
pub fn secs(s: i64) -> String {
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// Text cut to `width` characters, the cut marked with `…`.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// As many of `parts` as fit in `width` characters, whole and in order,
/// joined by ` · `: a narrow pane loses the last parts, never half of one.
pub fn fit_parts(parts: &[String], width: usize) -> String {
    let mut out = String::new();
    for p in parts {
        let sep = if out.is_empty() { 0 } else { 3 };
        if out.chars().count() + sep + p.chars().count() > width {
            break;
        }
        if sep > 0 {
            out.push_str(" · ");
        }
        out.push_str(p);
    }
    out
}

/// The currency an instrument is quoted in: what follows the `/` of its
/// name (`BTC/USDT` → `USDT`).
pub fn quote_currency(instrument: &str) -> &str {
    instrument.rsplit_once('/').map_or("", |(_, q)| q)
}

/// A route `binance → kraken` in ten characters: each venue cut to four
/// (`bina→krak`); a cycle by the assets it passes through (`BTC→ETH`);
/// other headlines as they are.
pub fn short_route(headline: &str) -> String {
    if let Some((a, b)) = headline.split_once(" → ") {
        return format!("{}→{}", fit_plain(a, 4), fit_plain(b, 4));
    }
    // A cycle `USDT→BTC→ETH→USDT`: the start is the account's currency,
    // so the assets it passes through say which (`BTC→ETH`).
    let assets: Vec<&str> = headline.split('→').collect();
    match assets.as_slice() {
        [first, middle @ .., last] if first == last && middle.len() >= 2 => middle
            .iter()
            .map(|a| fit_plain(a, 4))
            .collect::<Vec<_>>()
            .join("→"),
        _ => headline.to_string(),
    }
}

fn fit_plain(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The text columns of an opportunity row: headline (`binance → kraken`,
/// `BUY` or `UP`), edge (arbitrage: net edge; forex: calibrated chance of
/// the take-profit first, or the rule confidence without an ensemble;
/// binary: calibrated probability, `p ½?` without a 5-minute forecast) and
/// expected profit (arbitrage: quote currency; forex: calibrated R after
/// the spread, or reward/risk without it; binary: EV per unit staked).
pub fn opportunity_columns(row: &OppRow, snap: &Snapshot) -> [String; 3] {
    match &row.detail {
        OpportunityDetail::Arbitrage(a) => [
            format!(
                "{} → {}",
                snap.venue_name(a.buy_venue),
                snap.venue_name(a.sell_venue)
            ),
            format!("{}%", a.net_pct.round_dp(3)),
            format!(
                "{} {}",
                a.net_profit.round_dp(2),
                quote_currency(&row.instrument_name)
            ),
        ],
        OpportunityDetail::Forex(f) => [
            if f.direction == Direction::Up {
                "BUY".into()
            } else {
                "SELL".into()
            },
            match f.win_probability {
                Some(w) => format!("win {w:.2}"),
                None => format!("conf {:.2}", f.confidence),
            },
            match f.expected_r {
                Some(r) => format!("{r:+.2}R"),
                None => format!("R/R {}", f.reward_risk),
            },
        ],
        OpportunityDetail::Binary(b) => [
            b.direction.as_str().to_string(),
            if b.calibrated {
                format!("p {:.3}", b.probability)
            } else {
                "p ½?".into()
            },
            format!("EV {:+.3}", b.expected_value),
        ],
        OpportunityDetail::Triangular(t) => [
            t.cycle_name(),
            format!("{}%", t.net_pct.round_dp(3)),
            format!("{} {}", t.net_profit.round_dp(2), t.assets[0]),
        ],
    }
}

/// Appends ` · risk N` (when not 0) and each routed account's size with
/// its profit at that size (`spot-a 0.01499 → +4.22 USDT`); `size_ccy`
/// names the size's unit where it is money (a cycle's start amount).
fn push_risk_and_sizes(s: &mut String, risk: u8, row: &OppRow, ccy: &str, size_ccy: Option<&str>) {
    if risk > 0 {
        s.push_str(&format!(" · risk {risk}"));
    }
    for z in &row.gate.sizes {
        match size_ccy {
            Some(unit) => s.push_str(&format!(" · {} {} {unit}", z.account, z.qty.round_dp(2))),
            None => s.push_str(&format!(" · {} {}", z.account, z.qty.normalize())),
        }
        if let Some(p) = z.profit {
            s.push_str(&format!(" → {} {ccy}", money(p)));
        }
    }
}

/// What a kind's settled trades say about its claims, for the line under
/// its table: binary contracts' claimed win rate against the realised one
/// and their Brier score, over the last settled, and the calibration's
/// measured skill on unseen history (None for other kinds, and for binary
/// before the first settlement when nothing was measured).
pub fn kind_record(kind: omni_core::domain::OpportunityKind, snap: &Snapshot) -> Option<String> {
    if kind != omni_core::domain::OpportunityKind::Binary {
        return None;
    }
    // The calibration's record on history, then the live one.
    let history = snap.binary_skill.map(|s| {
        format!(
            "60 s on unseen history: skill {:+.4} [{:+.4}, {:+.4}] ECE {:.3}",
            s.brier_skill, s.skill_low, s.skill_high, s.ece
        )
    });
    let live = snap.binary_score.map(|s| {
        format!(
            "last {} settled: claimed {:.0}% · won {:.0}% · Brier {:.3}",
            s.n,
            s.claimed * 100.0,
            s.realized * 100.0,
            s.brier
        )
    });
    match (live, history) {
        (Some(l), Some(h)) => Some(format!("{l} · {h}")),
        (l, h) => l.or(h),
    }
}

/// The numbers behind an opportunity, for the line under the table.
pub fn opportunity_detail(row: &OppRow) -> String {
    let dp = row.dp;
    match &row.detail {
        OpportunityDetail::Arbitrage(a) => {
            let ccy = quote_currency(&row.instrument_name);
            // The book's size: the tops', or the levels walked where the
            // venues send depth. Each account sizes its own (below).
            let (buy_worst, sell_worst) = a.worst_prices();
            let prices = if a.buy_levels.is_empty() && a.sell_levels.is_empty() {
                format!(
                    "{} @top: buy {} / sell {}",
                    a.qty.normalize(),
                    a.buy_price.round_dp(dp),
                    a.sell_price.round_dp(dp)
                )
            } else {
                let px = |x: Decimal| format!("{:.*}", dp as usize, x.round_dp(dp));
                format!(
                    "{} over {}+{} levels: buy {}–{} / sell {}–{}",
                    a.qty.normalize(),
                    a.buy_levels.len().max(1),
                    a.sell_levels.len().max(1),
                    px(a.buy_price),
                    px(buy_worst),
                    px(a.sell_price),
                    px(sell_worst)
                )
            };
            let mut s = format!(
                "{prices} · spread {}% · fees {} {ccy} · net {} {ccy} ({}%)",
                a.spread_pct.round_dp(3),
                a.fees.round_dp(2),
                a.net_profit.round_dp(2),
                a.net_pct.round_dp(3),
            );
            push_risk_and_sizes(&mut s, a.risk_score, row, ccy, None);
            s
        }
        OpportunityDetail::Forex(f) => format!(
            "entry {} · SL {} · TP {} · R/R {} · {} · conf {:.2} (rules) · RSI {:.1} · SMA {:.*}/{:.*} · ATR {:.*}",
            f.entry.round_dp(dp),
            f.stop_loss.round_dp(dp),
            f.take_profit.round_dp(dp),
            f.reward_risk,
            match (f.win_probability, f.expected_r, f.spread) {
                (Some(w), Some(r), Some(s)) => format!(
                    "TP first {:.0}% · {r:+.2}R after spread {}",
                    w * 100.0,
                    s.round_dp(dp + 1).normalize()
                ),
                (_, _, None) => "no quote: edge not priced".into(),
                _ => "no 60-min forecast: edge not priced".into(),
            },
            f.confidence,
            f.rsi,
            dp as usize,
            f.sma_fast,
            dp as usize,
            f.sma_slow,
            dp as usize + 1,
            f.atr
        ),
        OpportunityDetail::Triangular(t) => {
            let ccy = &t.assets[0];
            let legs: Vec<String> = t
                .legs
                .iter()
                .enumerate()
                .map(|(k, l)| {
                    let name = row.leg_names.get(k).map_or("?", String::as_str);
                    format!(
                        "{} {} {name} @{}",
                        l.side.as_str(),
                        l.qty.round_dp(6).normalize(),
                        l.price.normalize()
                    )
                })
                .collect();
            // The figures first (a narrow pane shows two lines), the legs last.
            let mut s = format!(
                "{} {ccy} @top · net {} {ccy} ({}%) · gross {}% · fees {} {ccy}",
                t.start_qty.round_dp(2),
                t.net_profit.round_dp(2),
                t.net_pct.round_dp(3),
                t.gross_pct.round_dp(3),
                t.fees.round_dp(2),
            );
            // Each account's size is the start amount it spends.
            push_risk_and_sizes(&mut s, t.risk_score, row, ccy, Some(ccy));
            s.push_str(" · ");
            s.push_str(&legs.join(" → "));
            s
        }
        OpportunityDetail::Binary(b) => format!(
            "strike {} · {}s expiry · payout {}% · {} · momentum {:.2} (uncalibrated) · drift {:+.2e}/s · vol {:.2e}/√s",
            b.strike.round_dp(dp + 1),
            b.expiry_secs,
            (b.payout * Decimal::ONE_HUNDRED).normalize(),
            if b.calibrated {
                format!("P(up) {:.3} from the 5-min ensemble", b.p_up)
            } else {
                "no 5-min forecast: p ½".into()
            },
            b.momentum_p_up,
            b.drift,
            b.volatility
        ),
    }
}

#[cfg(test)]
mod qty_tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn the_binary_tab_says_what_was_claimed_against_what_was_won() {
        use omni_core::domain::OpportunityKind;
        use omni_core::engine::binary_record::BinaryScore;
        let mut snap = Snapshot::default();
        assert_eq!(kind_record(OpportunityKind::Binary, &snap), None);
        snap.binary_score = Some(BinaryScore {
            n: 57,
            claimed: 0.612,
            realized: 0.439,
            brier: 0.2734,
        });
        assert_eq!(
            kind_record(OpportunityKind::Binary, &snap).as_deref(),
            Some("last 57 settled: claimed 61% · won 44% · Brier 0.273")
        );
        assert_eq!(kind_record(OpportunityKind::Forex, &snap), None);
        snap.binary_skill = Some(omni_core::ensemble::Skill {
            n: 130_976,
            brier_skill: 0.0007,
            skill_low: 0.0001,
            skill_high: 0.0011,
            ece: 0.0094,
            trend: 0.9,
        });
        assert_eq!(
            kind_record(OpportunityKind::Binary, &snap).as_deref(),
            Some(
                "last 57 settled: claimed 61% · won 44% · Brier 0.273 · \
                 60 s on unseen history: skill +0.0007 [+0.0001, +0.0011] ECE 0.009"
            )
        );
    }

    #[test]
    fn quantities_fit_their_column_and_dust_is_not_shown_as_zero() {
        assert_eq!(qty_in(dec!(0.6178), 7), "0.6178");
        assert_eq!(qty_in(dec!(0.01553), 7), "0.01553");
        assert_eq!(qty_in(dec!(0.000001492), 7), "1.5e-6");
        assert_eq!(qty_in(dec!(-0.000001492), 7), "-1.5e-6");
        assert_eq!(qty_in(dec!(1234.56789), 7), "1234.57");
        assert_eq!(qty_in(dec!(30000), 7), "30000");
        assert_eq!(qty_in(Decimal::ZERO, 7), "0");
    }

    #[test]
    fn a_narrow_pane_names_a_route_or_a_cycle_in_ten_characters() {
        assert_eq!(short_route("binance → kraken"), "bina→krak");
        assert_eq!(short_route("USDT→BTC→ETH→USDT"), "BTC→ETH");
        assert_eq!(short_route("BUY"), "BUY");
    }
}
