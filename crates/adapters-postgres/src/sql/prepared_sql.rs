//! Hand-written SQL that PostgreSQL parses and plans once per connection.
//!
//! `diesel::sql_query` marks its statement unsafe to cache, so every call
//! sends it as a new unnamed statement and the server parses and plans it
//! again: under load that was most of PostgreSQL's CPU on a task GET
//! (`scripts/profile-http.sh`, docs/performance.md). A `PreparedSql` is
//! cached by diesel-async's statement cache under its text: the first call on
//! a connection prepares it, later calls only bind and execute. Its text must
//! therefore come from a bounded set of shapes — constants chosen by typed
//! values, never client input, which is bound (`?` placeholders).

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{
    Array, BigInt, Bytea, Double, Int2, Jsonb, Nullable, Text, Timestamptz, Untyped,
    Uuid as SqlUuid,
};
use diesel::QueryResult;
use uuid::Uuid;

/// A value to bind, in placeholder order.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Uuid(Uuid),
    Text(String),
    OptionalText(Option<String>),
    OptionalTime(Option<DateTime<Utc>>),
    Texts(Vec<String>),
    Ranks(Vec<i16>),
    Time(DateTime<Utc>),
    Rank(i16),
    BigInt(i64),
    Json(serde_json::Value),
    OptionalUuid(Option<Uuid>),
    Uuids(Vec<Uuid>),
    OptionalUuids(Vec<Option<Uuid>>),
    OptionalTexts(Vec<Option<String>>),
    Jsons(Vec<serde_json::Value>),
    Times(Vec<DateTime<Utc>>),
    OptionalTimes(Vec<Option<DateTime<Utc>>>),
    Seconds(f64),
    Bytes(Vec<u8>),
}

/// SQL text in pieces between bound values (`pieces.len() == binds.len() + 1`).
#[derive(Debug, Clone)]
pub(crate) struct PreparedSql {
    pieces: Vec<String>,
    binds: Vec<Bind>,
}

impl PreparedSql {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            pieces: vec![text.to_owned()],
            binds: Vec::new(),
        }
    }

    /// Appends `fragment`, each `?` in it standing for the next of `binds`.
    pub(crate) fn push(&mut self, fragment: &str, binds: Vec<Bind>) {
        let mut texts = fragment.split('?');
        if let (Some(first), Some(last)) = (texts.next(), self.pieces.last_mut()) {
            last.push_str(first);
        }
        for (text, bind) in texts.zip(binds) {
            self.binds.push(bind);
            self.pieces.push(text.to_owned());
        }
    }

    /// Appends `other`, its binds after this one's.
    pub(crate) fn append(&mut self, other: PreparedSql) {
        let mut pieces = other.pieces.into_iter();
        if let (Some(first), Some(last)) = (pieces.next(), self.pieces.last_mut()) {
            last.push_str(&first);
        }
        self.pieces.extend(pieces);
        self.binds.extend(other.binds);
    }

    /// Puts `text` before the whole statement (`EXPLAIN ...`).
    pub(crate) fn prefix(&mut self, text: &str) {
        if let Some(first) = self.pieces.first_mut() {
            first.insert_str(0, text);
        }
    }

    /// The statement as PostgreSQL receives it (`$1`, `$2`, ... in order).
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        let mut text = String::new();
        for (index, piece) in self.pieces.iter().enumerate() {
            if index > 0 {
                text.push_str(&format!("${index}"));
            }
            text.push_str(piece);
        }
        text
    }

    #[cfg(test)]
    pub(crate) fn bind_count(&self) -> usize {
        self.binds.len()
    }
}

impl QueryFragment<Pg> for PreparedSql {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // Unlike `SqlQuery`, no `unsafe_to_cache_prepared()`: that one call is
        // the whole point of this type.
        for (index, piece) in self.pieces.iter().enumerate() {
            out.push_sql(piece);
            let Some(bind) = self.binds.get(index) else {
                continue;
            };
            match bind {
                Bind::Uuid(value) => out.push_bind_param::<SqlUuid, _>(value)?,
                Bind::Text(value) => out.push_bind_param::<Text, _>(value)?,
                Bind::OptionalText(value) => out.push_bind_param::<Nullable<Text>, _>(value)?,
                Bind::OptionalTime(value) => {
                    out.push_bind_param::<Nullable<Timestamptz>, _>(value)?;
                }
                Bind::Texts(value) => out.push_bind_param::<Array<Text>, _>(value)?,
                Bind::Ranks(value) => out.push_bind_param::<Array<Int2>, _>(value)?,
                Bind::Time(value) => out.push_bind_param::<Timestamptz, _>(value)?,
                Bind::Rank(value) => out.push_bind_param::<Int2, _>(value)?,
                Bind::BigInt(value) => out.push_bind_param::<BigInt, _>(value)?,
                Bind::Json(value) => out.push_bind_param::<Jsonb, _>(value)?,
                Bind::OptionalUuid(value) => out.push_bind_param::<Nullable<SqlUuid>, _>(value)?,
                Bind::Uuids(value) => out.push_bind_param::<Array<SqlUuid>, _>(value)?,
                Bind::OptionalUuids(value) => {
                    out.push_bind_param::<Array<Nullable<SqlUuid>>, _>(value)?;
                }
                Bind::OptionalTexts(value) => {
                    out.push_bind_param::<Array<Nullable<Text>>, _>(value)?;
                }
                Bind::Jsons(value) => out.push_bind_param::<Array<Jsonb>, _>(value)?,
                Bind::Times(value) => out.push_bind_param::<Array<Timestamptz>, _>(value)?,
                Bind::OptionalTimes(value) => {
                    out.push_bind_param::<Array<Nullable<Timestamptz>>, _>(value)?;
                }
                Bind::Seconds(value) => out.push_bind_param::<Double, _>(value)?,
                Bind::Bytes(value) => out.push_bind_param::<Bytea, _>(value)?,
            }
        }
        Ok(())
    }
}

/// No static id: the statement cache keys it by its SQL text and bind types.
impl QueryId for PreparedSql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// Rows are read by column name (`QueryableByName`), as from `sql_query`.
impl Query for PreparedSql {
    type SqlType = Untyped;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_bind_order() {
        let mut sql = PreparedSql::new("SELECT 1 FROM t");
        sql.push(" WHERE a = ? AND b = ?", vec![Bind::Rank(1), Bind::Rank(2)]);
        sql.push(" LIMIT ?", vec![Bind::BigInt(3)]);
        sql.prefix("EXPLAIN ");
        assert_eq!(
            sql.text(),
            "EXPLAIN SELECT 1 FROM t WHERE a = $1 AND b = $2 LIMIT $3"
        );
        assert_eq!(sql.bind_count(), 3);
    }

    #[test]
    fn an_appended_statement_numbers_its_placeholders_after_ours() {
        let mut sql = PreparedSql::new("WITH w AS (");
        sql.push("SELECT ? AS x ", vec![Bind::Rank(1)]);
        let mut inner = PreparedSql::new("FROM t");
        inner.push(" WHERE a = ?", vec![Bind::Rank(2)]);
        sql.append(inner);
        sql.push(") SELECT ?", vec![Bind::Rank(3)]);
        assert_eq!(
            sql.text(),
            "WITH w AS (SELECT $1 AS x FROM t WHERE a = $2) SELECT $3"
        );
        assert_eq!(sql.bind_count(), 3);
    }

    #[test]
    fn a_fragment_without_placeholders_only_extends_the_text() {
        let mut sql = PreparedSql::new("SELECT 1");
        sql.push(" WHERE x IS NULL", vec![]);
        assert_eq!(sql.text(), "SELECT 1 WHERE x IS NULL");
        assert_eq!(sql.bind_count(), 0);
    }
}
