//! `[[routes]]`: which accounts each kind of opportunity goes to.

use crate::domain::{AccountType, Catalog, OpportunityKind, ShapeKind};
use crate::validation::{Invalid, bad};
use serde::{Deserialize, Serialize};

/// One routing rule: opportunities of `kind` on `instruments` go to `accounts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// arbitrage, forex or binary.
    pub kind: OpportunityKind,
    /// Instruments the rule covers, by their `[[instruments]]` names.
    pub instruments: Vec<String>,
    /// Account names; each sizes and trades independently.
    pub accounts: Vec<String>,
}

/// Routes name known instruments and accounts, arbitrage only instruments
/// on two venues or more, and binary opportunities only binary accounts
/// (and nothing else goes to a binary account).
pub fn validate_routes(routes: &[RouteConfig], catalog: &Catalog) -> Result<(), Invalid> {
    for (i, r) in routes.iter().enumerate() {
        let key = format!("routes[{i}]");
        for (j, name) in r.instruments.iter().enumerate() {
            let id = catalog.instrument_by_name(name).ok_or_else(|| {
                bad(
                    format!("{key}.instruments[{j}]"),
                    format!("unknown instrument `{name}`"),
                )
                .because("instruments")
            })?;
            if r.kind.shape() == ShapeKind::CrossVenuePair
                && catalog.instrument(id).venues.len() < 2
            {
                return Err(bad(
                    format!("{key}.instruments[{j}]"),
                    format!(
                        "{} needs an instrument on two venues; `{name}` has one",
                        r.kind.as_str()
                    ),
                )
                .because("instruments"));
            }
        }
        for (j, name) in r.accounts.iter().enumerate() {
            let id = catalog.account_by_name(name).ok_or_else(|| {
                bad(
                    format!("{key}.accounts[{j}]"),
                    format!("unknown account `{name}`"),
                )
                .because("accounts")
            })?;
            let kind = catalog.account(id).kind;
            // Contracts go to binary accounts, and only contracts do.
            let fits = (r.kind.shape() == ShapeKind::Contract) == (kind == AccountType::Binary);
            if !fits {
                return Err(bad(
                    format!("{key}.accounts[{j}]"),
                    format!(
                        "a {} account cannot take {} opportunities",
                        kind.as_str(),
                        r.kind.as_str()
                    ),
                )
                .because("accounts"));
            }
        }
    }

    Ok(())
}

/// A triangular cycle is booked in its start asset: every account a
/// `triangular` route reaches has its currency among `start_assets`, and
/// any start asset one of the route's instruments trades is that currency
/// (a cycle is routed by its first leg, which trades its start asset), so
/// no account takes a cycle that starts elsewhere. And on paper accounts
/// only: a live venue charges fees in the asset received (BTC on ETH/BTC),
/// which the book does not yet move between a cross pair's two assets.
pub fn validate_triangular_routes(
    routes: &[RouteConfig],
    catalog: &Catalog,
    start_assets: &[String],
) -> Result<(), Invalid> {
    for (i, r) in routes.iter().enumerate() {
        if r.kind.shape() != ShapeKind::Cycle {
            continue;
        }
        let key = format!("routes[{i}]");
        for (j, name) in r.accounts.iter().enumerate() {
            let Some(id) = catalog.account_by_name(name) else {
                continue;
            };
            let a = catalog.account(id);
            if a.broker.is_live() {
                return Err(bad(
                    format!("{key}.accounts[{j}]"),
                    format!(
                        "`{name}` is on {}: triangular cycles trade on paper accounts only (a live venue's fees in the asset received are not booked across a cross pair yet)",
                        a.broker.as_str()
                    ),
                )
                .because("accounts"));
            }
            if !start_assets.contains(&a.currency) {
                return Err(bad(
                    format!("{key}.accounts[{j}]"),
                    format!(
                        "`{name}` keeps {}, which is not in scanners.triangular.start_assets",
                        a.currency
                    ),
                )
                .because("scanners.triangular.start_assets"));
            }
            for (k, inst) in r.instruments.iter().enumerate() {
                let Some(assets) = catalog
                    .instrument_by_name(inst)
                    .and_then(|x| catalog.instrument(x).assets())
                else {
                    continue;
                };
                let other = [assets.0, assets.1]
                    .into_iter()
                    .find(|s| *s != a.currency && start_assets.iter().any(|x| x == s));
                if let Some(s) = other {
                    return Err(bad(
                        format!("{key}.instruments[{k}]"),
                        format!(
                            "cycles starting in {s} would reach `{name}`, which keeps {}",
                            a.currency
                        ),
                    )
                    .because("scanners.triangular.start_assets"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountMode, BrokerKind};

    #[test]
    fn a_triangular_route_to_a_live_account_is_refused() {
        let mut catalog = Catalog::builtin(AccountMode::Demo);
        let routes = vec![RouteConfig {
            kind: OpportunityKind::Triangular,
            instruments: vec!["BTC/USDT".into()],
            accounts: vec!["spot-a".into()],
        }];
        let usdt = ["USDT".to_string()];
        assert!(validate_triangular_routes(&routes, &catalog, &usdt).is_ok());
        let a = catalog.account_by_name("spot-a").unwrap();
        catalog.accounts[a.index()].broker = BrokerKind::Binance;
        let e = validate_triangular_routes(&routes, &catalog, &usdt).unwrap_err();
        assert!(format!("{e:?}").contains("paper accounts only"), "{e:?}");
    }
}
