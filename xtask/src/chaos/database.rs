//! Reading the record the invariants are checked against. A connection per
//! question: PostgreSQL is restarted mid-run, so nothing is kept open.

use anyhow::Result;
use tokio_postgres::{types::ToSql, Row};

pub async fn row(url: &str, query: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
    let client = crate::postgres::connect(url).await?;
    Ok(client.query_one(query, params).await?)
}

/// A query whose answer is one bigint.
pub async fn count(url: &str, query: &str) -> Result<i64> {
    Ok(row(url, query, &[]).await?.try_get(0)?)
}
