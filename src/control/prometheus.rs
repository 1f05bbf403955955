//! `GET /metrics`: the run in the Prometheus text format (version 0.0.4).
//! Money is written as its exact decimal text, which the format accepts.

use crate::app::snapshot::Snapshot;
use crate::metrics::EngineMetrics;
use omni_core::risk::{RiskLevel, TradingState};
use std::fmt::Write;

/// A label value with `\`, `"` and newlines escaped.
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Writes metric families; each family's HELP and TYPE once.
struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"{}\"", esc(v));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    fn one(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

fn level_value(l: RiskLevel) -> u8 {
    match l {
        RiskLevel::Low => 0,
        RiskLevel::Medium => 1,
        RiskLevel::High => 2,
        RiskLevel::Blocked => 3,
    }
}

/// The whole exposition.
pub fn render(s: &Snapshot, m: &EngineMetrics) -> String {
    let mut o = Out(String::with_capacity(8 * 1024));
    let c = &s.counters;
    o.one(
        "omni_market_events_total",
        "counter",
        "Market events the engine processed.",
        c.market_events,
    );
    o.one(
        "omni_events_per_second",
        "gauge",
        "Market events per second over the last second.",
        format!("{:.1}", s.events_per_sec),
    );
    o.one(
        "omni_quarantined_total",
        "counter",
        "Market events held back as implausible.",
        c.quarantined,
    );
    o.family(
        "omni_opportunities_total",
        "counter",
        "Opportunities found, by kind.",
    );
    for (k, n) in c.opportunities.iter() {
        o.sample("omni_opportunities_total", &[("kind", k.as_str())], n);
    }
    o.one(
        "omni_orders_total",
        "counter",
        "Orders sent to brokers.",
        c.orders,
    );
    o.one("omni_fills_total", "counter", "Fills applied.", c.fills);
    o.one(
        "omni_trades_total",
        "counter",
        "Round trips closed.",
        c.trades,
    );
    o.one(
        "omni_gate_approved_total",
        "counter",
        "Intents the risk gate approved.",
        c.gate_approved,
    );
    o.family(
        "omni_gate_refusals_total",
        "counter",
        "Intents the risk gate refused, by reason.",
    );
    for (reason, n) in &c.refusals {
        o.sample(
            "omni_gate_refusals_total",
            &[("reason", reason.as_str())],
            n,
        );
    }
    o.family(
        "omni_trading_state",
        "gauge",
        "1 for the trading state the engine is in.",
    );
    for st in [
        TradingState::Active,
        TradingState::Reducing,
        TradingState::Halted,
    ] {
        let on = u8::from(s.trading_state == Some(st));
        o.sample("omni_trading_state", &[("state", st.as_str())], on);
    }
    o.one(
        "omni_kill_switch_latched",
        "gauge",
        "1 while the kill switch is latched.",
        u8::from(s.kill_latched),
    );
    o.one(
        "omni_working_orders",
        "gauge",
        "Orders working at brokers.",
        s.orders.len(),
    );
    o.one(
        "omni_open_positions",
        "gauge",
        "Open positions.",
        s.positions.len(),
    );

    let accounts: &[(&str, &str, &str)] = &[
        ("omni_account_equity", "Cash plus unrealised P&L.", "equity"),
        (
            "omni_account_cash",
            "Cash after realised P&L and fees.",
            "cash",
        ),
        (
            "omni_account_realized_pnl",
            "Realised P&L after fees since the account started.",
            "realized",
        ),
        (
            "omni_account_unrealized_pnl",
            "Unrealised P&L at current marks.",
            "unrealized",
        ),
        (
            "omni_account_day_pnl",
            "P&L since the start of the UTC day.",
            "day",
        ),
        (
            "omni_account_drawdown_percent",
            "Drawdown from the peak equity, percent.",
            "drawdown",
        ),
    ];
    for (name, help, field) in accounts {
        o.family(name, "gauge", help);
        for a in &s.accounts {
            let v = match *field {
                "equity" => a.equity,
                "cash" => a.cash,
                "realized" => a.realized,
                "unrealized" => a.unrealized,
                "day" => a.day_pnl,
                _ => a.drawdown_pct,
            };
            o.sample(
                name,
                &[("account", &a.name), ("currency", &a.currency)],
                v.normalize(),
            );
        }
    }
    o.family(
        "omni_account_risk_level",
        "gauge",
        "Risk level: 0 LOW, 1 MEDIUM, 2 HIGH, 3 BLOCKED.",
    );
    for a in &s.accounts {
        o.sample(
            "omni_account_risk_level",
            &[("account", &a.name)],
            level_value(a.level),
        );
    }
    o.family(
        "omni_risk_limit_usage_ratio",
        "gauge",
        "Share of each risk limit used, at the account using most of it.",
    );
    for l in &s.limits {
        o.sample(
            "omni_risk_limit_usage_ratio",
            &[("limit", &l.name), ("account", &l.account)],
            format!("{:.4}", l.fraction()),
        );
    }

    o.family(
        "omni_feed_up",
        "gauge",
        "1 while a feed is connected and receiving (or replaying).",
    );
    for f in &s.feeds {
        use omni_feeds::FeedState;
        let up = matches!(f.health.state, FeedState::Connected | FeedState::Replay);
        o.sample("omni_feed_up", &[("venue", &f.health.venue)], u8::from(up));
    }
    o.family(
        "omni_feed_age_seconds",
        "gauge",
        "Seconds since a feed's last frame.",
    );
    for f in &s.feeds {
        if let Some(ms) = f.age_ms {
            o.sample(
                "omni_feed_age_seconds",
                &[("venue", &f.health.venue)],
                format!("{:.3}", ms as f64 / 1000.0),
            );
        }
    }
    let feed_counters: &[(&str, &str)] = &[
        ("omni_feed_messages_total", "Frames received."),
        (
            "omni_feed_dropped_total",
            "Frames counted and dropped as malformed.",
        ),
        ("omni_feed_reconnects_total", "Reconnections begun."),
    ];
    for (name, help) in feed_counters {
        o.family(name, "counter", help);
        for f in &s.feeds {
            let h = &f.health;
            let v = match *name {
                "omni_feed_messages_total" => h.messages,
                "omni_feed_dropped_total" => h.dropped,
                _ => h.reconnects,
            };
            o.sample(name, &[("venue", &h.venue)], v);
        }
    }

    let name = "omni_engine_event_seconds";
    o.family(
        name,
        "histogram",
        "Time the engine spends on one market event.",
    );
    let (buckets, sum_ns, count) = m.latency.read();
    for (le_ns, n) in buckets {
        let le = format!("{}", le_ns as f64 / 1e9);
        o.sample(&format!("{name}_bucket"), &[("le", &le)], n);
    }
    o.sample(&format!("{name}_bucket"), &[("le", "+Inf")], count);
    o.sample(&format!("{name}_sum"), &[], sum_ns as f64 / 1e9);
    o.sample(&format!("{name}_count"), &[], count);

    o.family("omni_alerts_total", "counter", "Alerts raised, by rule.");
    for (rule, n) in m.alerts() {
        o.sample("omni_alerts_total", &[("rule", rule)], n);
    }
    use std::sync::atomic::Ordering;
    o.one(
        "omni_webhook_sent_total",
        "counter",
        "Alerts the webhook accepted.",
        m.webhook_sent.load(Ordering::Relaxed),
    );
    o.one(
        "omni_webhook_failed_total",
        "counter",
        "Alerts the webhook did not accept or could not be reached for.",
        m.webhook_failed.load(Ordering::Relaxed),
    );
    o.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(esc(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(esc("x\ny"), "x\\ny");
    }

    #[test]
    fn an_empty_run_renders_every_family_once() {
        let text = render(&Snapshot::default(), &EngineMetrics::default());
        for family in [
            "omni_market_events_total",
            "omni_engine_event_seconds",
            "omni_account_equity",
            "omni_feed_up",
            "omni_alerts_total",
        ] {
            assert_eq!(
                text.matches(&format!("# TYPE {family} ")).count(),
                1,
                "{family}"
            );
        }
        assert!(text.contains("omni_engine_event_seconds_bucket{le=\"+Inf\"} 0"));
    }
}
