//! SQL machinery the repositories share: prepared statements, row
//! conversions, soft deletes, the statement counter, and storing a
//! write's outbox.

pub(crate) mod constant_sql;
pub(crate) mod outbox;
pub(crate) mod prepared_sql;
pub(crate) mod recorded_write;
pub(crate) mod rows;
pub(crate) mod soft_delete;
pub mod statement_counter;
