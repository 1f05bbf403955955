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
