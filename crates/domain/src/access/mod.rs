//! Role-based access control: one pure table (role × action → allow/deny) that
//! every service consults. Non-members never reach this table: services answer
//! them 404 first, so a resource's existence is not revealed.

mod policy;

pub use policy::{Action, Role};
