//! Approval: the operator decides, or the auto policy approves above each
//! scanner's thresholds (`scanners::Scanner::auto_approves`). The gate still
//! decides every resulting order.

pub mod config;
pub mod shown;

pub use config::{ApprovalConfig, ApprovalMode};
pub use shown::ShownTerms;
