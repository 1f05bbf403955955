//! The words of each kind of row, shared by the stream ([`super::row_of`])
//! and the store ([`super::read_kind_page`]). Numbers arrive as the store
//! keeps them (decimal text), so both sources go through the same rounding.

use omni_core::domain::time::SECOND;
use omni_core::domain::{
    BinaryContract, Direction, OpportunityDetail, OpportunityKind, ShapeKind, Timestamp,
};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A stored decimal, rounded for reading; what is not a number is shown as is.
fn short(s: &str, dp: u32) -> String {
    Decimal::from_str(s)
        .map(|d| d.round_dp(dp).normalize().to_string())
        .unwrap_or_else(|_| s.to_string())
}

/// A stored P&L, rounded, with its sign: `+8.5`, `-13.29`, `0`.
fn signed(s: &str, dp: u32) -> String {
    match Decimal::from_str(s) {
        Ok(d) => {
            let d = d.round_dp(dp).normalize();
            if d > Decimal::ZERO {
                format!("+{d}")
            } else {
                d.to_string()
            }
        }
        Err(_) => s.to_string(),
    }
}

/// ` USD`: the unit after an amount, when the row knows it.
fn unit(currency: Option<&str>) -> String {
    currency.map(|c| format!(" {c}")).unwrap_or_default()
}

/// Whether an opportunity kind's trades are contracts (binary options).
pub(super) fn is_contract_kind(kind: Option<&str>) -> bool {
    kind.and_then(OpportunityKind::parse)
        .is_some_and(|k| k.shape() == ShapeKind::Contract)
}

/// The direction of a contract opportunity's stored detail (`opportunities.detail_json`).
pub(super) fn contract_direction(detail: Option<&str>) -> Option<Direction> {
    let detail: OpportunityDetail = serde_json::from_str(detail?).ok()?;
    (detail.kind().shape() == ShapeKind::Contract).then(|| detail.terms().direction())
}

/// A fill's fields as text, as the store keeps them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct FillParts {
    pub account: String,
    pub side: String,
    pub qty: String,
    pub instrument: String,
    pub price: String,
    pub venue: String,
    pub fee: String,
    pub purpose: String,
    pub currency: Option<String>,
    pub ts: Timestamp,
}

/// What a fill's row knows of the binary contract its order trades.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum FillContract<'a> {
    /// A position, not a contract.
    Position,
    /// A contract, with its terms when known.
    Contract(Option<&'a BinaryContract>),
}

pub(super) fn fill_text(p: &FillParts, contract: FillContract<'_>) -> String {
    let ccy = unit(p.currency.as_deref());
    // A position's fee is charged in its instrument's quote asset (BTC on
    // ETH/BTC); a contract's in the account's currency.
    let fee_ccy = match contract {
        FillContract::Position => p
            .instrument
            .rsplit_once('/')
            .map_or(ccy.clone(), |(_, q)| unit(Some(q))),
        FillContract::Contract(_) => ccy.clone(),
    };
    // A fee of nothing is not worth the room; a small one (in BTC) keeps
    // its digits.
    let fee = match p.fee.parse::<Decimal>() {
        Ok(f) if f.is_zero() => p.purpose.clone(),
        Ok(f) if f.round_dp(4).is_zero() => {
            format!("fee {}{fee_ccy}, {}", short(&p.fee, 8), p.purpose)
        }
        _ => format!("fee {}{fee_ccy}, {}", short(&p.fee, 4), p.purpose),
    };
    match contract {
        FillContract::Position => format!(
            "{} {} {} {} @ {} on {} ({fee})",
            p.account,
            p.side,
            short(&p.qty, 8),
            p.instrument,
            short(&p.price, 6),
            p.venue,
        ),
        FillContract::Contract(terms) => {
            let bet = terms.map_or("contract", |t| t.direction.as_str());
            let head = format!(
                "{} {bet} {} stake {}{ccy}",
                p.account,
                p.instrument,
                short(&p.qty, 8)
            );
            match (p.side.as_str(), terms) {
                // Bought: struck now, for a while.
                ("BUY", Some(t)) => {
                    let secs = (t.expiry.since(p.ts) + SECOND / 2).div_euclid(SECOND);
                    format!(
                        "{head} @ strike {} for {secs}s on {} ({fee})",
                        short(&t.strike.to_string(), 6),
                        p.venue
                    )
                }
                ("BUY", None) => format!("{head} on {} ({fee})", p.venue),
                // Sold back before expiry, at a value per unit staked.
                _ => format!(
                    "{head} sold back @ {} per unit on {} ({fee})",
                    short(&p.price, 6),
                    p.venue
                ),
            }
        }
    }
}

/// A closed trade's fields as text, as the store keeps them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TradeParts {
    pub account: String,
    pub instrument: String,
    pub side: String,
    pub qty: String,
    pub entry: String,
    pub exit: String,
    pub pnl: String,
    pub reason: String,
    pub currency: Option<String>,
}

/// A closed binary contract's terms as text, as the store keeps them
/// (`trades.direction`, `trades.strike`, `trades.settle_price`); each
/// `None` when not known (trades stored before the store kept them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct ContractParts {
    /// `UP` or `DOWN`.
    pub direction: Option<String>,
    pub strike: Option<String>,
    /// The underlying's price at expiry, when it settled there.
    pub settle: Option<String>,
}

/// `None` for a position's round trip; for a contract, what is known of it.
///
/// A contract reads as a bet with a stake and how it ended: `binary UP
/// ETH/USDT stake 19.87 USD: settled 2010.52 vs strike 2010.2, won, P&L
/// +16.89 USD (expiry)`; sold back before expiry, `binary UP ETH/USDT stake
/// 19.87 USD @ strike 2010.2: sold back @ 0.93 per unit, P&L -1.39 USD
/// (kill_switch)`.
pub(super) fn trade_text(p: &TradeParts, contract: Option<&ContractParts>) -> String {
    let ccy = unit(p.currency.as_deref());
    let pnl = format!("P&L {}{ccy}", signed(&p.pnl, 2));
    let Some(c) = contract else {
        return format!(
            "{} {} {} {} {} → {} {pnl} ({})",
            p.account,
            p.instrument,
            if p.side == "BUY" { "long" } else { "short" },
            short(&p.qty, 8),
            short(&p.entry, 6),
            short(&p.exit, 6),
            p.reason,
        );
    };
    let strike = c.strike.as_deref().map(|k| short(k, 6));
    // The strike is said once: beside the settle price when there is one,
    // else with the stake, as the fill that bought it says it.
    let (at_strike, settled) = match (c.settle.as_deref(), strike) {
        (Some(s), Some(k)) => (
            String::new(),
            format!("settled {} vs strike {k}, ", short(s, 6)),
        ),
        (Some(s), None) => (String::new(), format!("settled {}, ", short(s, 6))),
        (None, Some(k)) => (format!(" @ strike {k}"), String::new()),
        (None, None) => (String::new(), String::new()),
    };
    // A contract's exit is its value per unit staked: 0 lost, 1 a tie (the
    // stake back), 1 + payout won; before expiry, what it was sold back at.
    let outcome = match Decimal::from_str(&p.exit).ok() {
        _ if p.reason != "expiry" => format!("sold back @ {} per unit", short(&p.exit, 6)),
        Some(x) if x.is_zero() => "lost".to_string(),
        Some(x) if x == Decimal::ONE => "tie, stake back".to_string(),
        Some(x) if x > Decimal::ONE => "won".to_string(),
        _ => format!("paid {} per unit", short(&p.exit, 6)),
    };
    format!(
        "{} {} {} stake {}{ccy}{at_strike}: {settled}{outcome}, {pnl} ({})",
        p.account,
        c.direction.as_deref().unwrap_or("contract"),
        p.instrument,
        short(&p.qty, 8),
        p.reason,
    )
}

pub(super) fn refused_text(
    kind: &str,
    opportunity: i64,
    instrument: &str,
    account: &str,
    reason: &str,
    detail: &str,
) -> String {
    format!("{kind} #{opportunity} {instrument} → {account}: {reason} ({detail})")
}

pub(super) fn approved_text(
    kind: &str,
    opportunity: i64,
    instrument: &str,
    account: &str,
    qty: &str,
    notional: &str,
    currency: Option<&str>,
) -> String {
    let ccy = unit(currency);
    let size = if is_contract_kind(Some(kind)) {
        // A contract's size is its stake.
        format!("stake {}{ccy}", short(qty, 8))
    } else {
        format!(
            "size {} (notional {}{ccy})",
            short(qty, 8),
            short(notional, 2)
        )
    };
    format!("{kind} #{opportunity} {instrument} → {account}: {size}")
}

/// An operator command in the operator's words, as the key table says
/// them: `kill switch`, `re-arm`, `pause`, `resume`, `approve #19`,
/// `reject #19`, `approval mode AUTO`, `cancel order #12`, `close
/// position` (its outcome names the position). `name` and `argument` are
/// `Command::name()` and `Command::argument()`, as stored.
pub fn command_words(name: &str, argument: &str) -> String {
    match name {
        "approve" | "reject" if !argument.is_empty() => format!("{name} #{argument}"),
        "kill_switch" if argument.is_empty() => "kill switch".to_string(),
        "kill_switch" => format!("kill trigger {}", argument.replace('_', " ")),
        "rearm" => "re-arm".to_string(),
        "cancel_order" if !argument.is_empty() => format!("cancel order #{argument}"),
        // The argument is the quantity shown; the outcome names the
        // account, the instrument and what was sent.
        "close_position" => "close position".to_string(),
        "set_approval_mode" => format!("approval mode {argument}").trim_end().to_string(),
        _ if argument.is_empty() => name.replace('_', " "),
        _ => format!("{} {argument}", name.replace('_', " ")),
    }
}

/// An operator command and what came of it, as the log and the status bar
/// say it. The outcome is the engine's (`engine/control.rs`); where it only
/// repeats the command it is shortened, and an approval the engine took
/// reads as what it is: the intent went to the risk gate, whose verdict per
/// account follows as APPROVED or REFUSED rows. `origin` is
/// `CommandOrigin::as_str()`, as stored: a command that did not come from a
/// key says where it came from (`pause → REDUCING (via API)`).
pub fn command_text(name: &str, argument: &str, outcome: &str, origin: &str) -> String {
    let text = command_outcome_text(name, argument, outcome);
    match origin {
        "api" => format!("{text} (via API)"),
        "monitor" => format!("{text} (automatic)"),
        _ => text,
    }
}

/// [`command_text`] without the origin.
fn command_outcome_text(name: &str, argument: &str, outcome: &str) -> String {
    let words = command_words(name, argument);
    match (name, outcome) {
        ("approve", "approved") => format!("{words} → sent to the risk gate"),
        ("reject", "rejected") => format!("{words} → rejected"),
        ("pause", o) if o.starts_with("paused: ") => {
            format!("{words} → {}", &o["paused: ".len()..])
        }
        ("resume", "resumed") => format!("{words} → ACTIVE"),
        ("kill_switch", o) => format!("{words} → {o}"),
        ("cancel_order", o) if o.starts_with("cancel sent for #") => {
            format!("{words} → cancel sent")
        }
        ("close_position", o) if o.starts_with("sent #") => format!("{words} → {o}"),
        ("rearm", o) if o.starts_with("re-armed: ") => {
            format!("{words} → {}", &o["re-armed: ".len()..])
        }
        // The outcome is the command again (`approval mode AUTO`).
        (_, o) if o == words => words,
        (_, o) => format!("{words}: {o}"),
    }
}

pub(super) fn state_text(from: &str, to: &str, cause: &str) -> String {
    format!("{from} → {to}: {cause}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_read_in_the_operators_words_with_the_engines_outcome() {
        let cases = [
            (
                "approve",
                "38",
                "approved",
                "approve #38 → sent to the risk gate",
            ),
            (
                "approve",
                "38",
                "not pending (already decided or expired)",
                "approve #38: not pending (already decided or expired)",
            ),
            (
                "approve",
                "38",
                "refused (changed_since_shown): bid moved",
                "approve #38: refused (changed_since_shown): bid moved",
            ),
            ("reject", "38", "rejected", "reject #38 → rejected"),
            ("pause", "", "paused: REDUCING", "pause → REDUCING"),
            (
                "pause",
                "",
                "ignored: already HALTED",
                "pause: ignored: already HALTED",
            ),
            ("resume", "", "resumed", "resume → ACTIVE"),
            (
                "kill_switch",
                "",
                "HALTED; cancelling every order and flattening every position",
                "kill switch → HALTED; cancelling every order and flattening every position",
            ),
            (
                "rearm",
                "",
                "re-armed: ACTIVE, approval MANUAL (press A for auto)",
                "re-arm → ACTIVE, approval MANUAL (press A for auto)",
            ),
            (
                "rearm",
                "",
                "ignored: the kill switch is not latched",
                "re-arm: ignored: the kill switch is not latched",
            ),
            (
                "set_approval_mode",
                "AUTO",
                "approval mode AUTO",
                "approval mode AUTO",
            ),
            (
                "cancel_order",
                "12",
                "cancel sent for #12",
                "cancel order #12 → cancel sent",
            ),
            (
                "cancel_order",
                "12",
                "not working (already filled, cancelled or unknown)",
                "cancel order #12: not working (already filled, cancelled or unknown)",
            ),
            (
                "close_position",
                "-0.5",
                "sent #15: BUY 0.5 BTC/USDT at market on binance for spot-a",
                "close position → sent #15: BUY 0.5 BTC/USDT at market on binance for spot-a",
            ),
            (
                "close_position",
                "0.5",
                "refused (changed_since_shown): spot-a BTC/USDT is now 0.7, not 0.5 as shown",
                "close position: refused (changed_since_shown): spot-a BTC/USDT is now 0.7, not 0.5 as shown",
            ),
        ];
        for (name, arg, outcome, text) in cases {
            assert_eq!(command_text(name, arg, outcome, "key"), text);
            assert_eq!(
                command_text(name, arg, outcome, "api"),
                format!("{text} (via API)")
            );
        }
    }

    fn contract(direction: &str, strike: &str, settle: Option<&str>) -> ContractParts {
        ContractParts {
            direction: Some(direction.into()),
            strike: Some(strike.into()),
            settle: settle.map(Into::into),
        }
    }

    #[test]
    fn a_contract_reads_as_a_bet_with_a_stake_a_strike_and_how_it_settled() {
        let parts = TradeParts {
            account: "binary".into(),
            instrument: "ETH/USDT".into(),
            side: "BUY".into(),
            qty: "19.87".into(),
            entry: "1".into(),
            exit: "1.85".into(),
            pnl: "16.8895".into(),
            reason: "expiry".into(),
            currency: Some("USD".into()),
        };
        let up = contract("UP", "2010.20", Some("2010.52"));
        assert_eq!(
            trade_text(&parts, Some(&up)),
            "binary UP ETH/USDT stake 19.87 USD: settled 2010.52 vs strike 2010.2, won, P&L +16.89 USD (expiry)"
        );
        let lost = TradeParts {
            exit: "0".into(),
            pnl: "-19.87".into(),
            ..parts.clone()
        };
        let down = contract("DOWN", "2010.2", Some("2010.52"));
        assert_eq!(
            trade_text(&lost, Some(&down)),
            "binary DOWN ETH/USDT stake 19.87 USD: settled 2010.52 vs strike 2010.2, lost, P&L -19.87 USD (expiry)"
        );
        let tie = TradeParts {
            exit: "1".into(),
            pnl: "0".into(),
            ..parts.clone()
        };
        assert_eq!(
            trade_text(&tie, Some(&contract("UP", "2010.2", Some("2010.2")))),
            "binary UP ETH/USDT stake 19.87 USD: settled 2010.2 vs strike 2010.2, tie, stake back, P&L 0 USD (expiry)"
        );
        // Sold back before expiry: no settle price, the strike with the stake.
        let sold = TradeParts {
            exit: "0.93".into(),
            pnl: "-1.3909".into(),
            reason: "kill_switch".into(),
            ..parts.clone()
        };
        assert_eq!(
            trade_text(&sold, Some(&contract("UP", "2010.2", None))),
            "binary UP ETH/USDT stake 19.87 USD @ strike 2010.2: sold back @ 0.93 per unit, P&L -1.39 USD (kill_switch)"
        );
        // Stored before the store kept the terms: the direction only, from
        // the opportunity.
        let old = ContractParts {
            direction: Some("UP".into()),
            ..ContractParts::default()
        };
        assert_eq!(
            trade_text(&parts, Some(&old)),
            "binary UP ETH/USDT stake 19.87 USD: won, P&L +16.89 USD (expiry)"
        );
        let position = TradeParts {
            account: "spot-a".into(),
            instrument: "BTC/USDT".into(),
            qty: "10".into(),
            pnl: "8.5".into(),
            reason: "take_profit".into(),
            ..parts
        };
        assert_eq!(
            trade_text(&position, None),
            "spot-a BTC/USDT long 10 1 → 1.85 P&L +8.5 USD (take_profit)"
        );
    }

    #[test]
    fn a_contract_fill_reads_as_a_bet_struck_for_a_while() {
        let terms = BinaryContract {
            direction: Direction::Down,
            strike: Decimal::from_str("83856.295").expect("strike"),
            expiry: Timestamp(60 * SECOND),
            payout: Decimal::from_str("0.85").expect("payout"),
        };
        let bought = FillParts {
            account: "binary".into(),
            side: "BUY".into(),
            qty: "24.55".into(),
            instrument: "BTC/USDT".into(),
            price: "1".into(),
            venue: "binance".into(),
            fee: "0".into(),
            purpose: "entry".into(),
            currency: Some("USD".into()),
            ts: Timestamp(0),
        };
        assert_eq!(
            fill_text(&bought, FillContract::Contract(Some(&terms))),
            "binary DOWN BTC/USDT stake 24.55 USD @ strike 83856.295 for 60s on binance (entry)"
        );
        let sold = FillParts {
            side: "SELL".into(),
            price: "0.93".into(),
            purpose: "flatten".into(),
            ts: Timestamp(30 * SECOND),
            ..bought
        };
        assert_eq!(
            fill_text(&sold, FillContract::Contract(Some(&terms))),
            "binary DOWN BTC/USDT stake 24.55 USD sold back @ 0.93 per unit on binance (flatten)"
        );
    }
}
