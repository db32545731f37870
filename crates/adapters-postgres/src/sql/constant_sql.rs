//! SQL expressions diesel's query builder cannot spell, as constant text that
//! stays cacheable. `diesel::dsl::sql` would do, but it marks the whole
//! statement unsafe to cache, so PostgreSQL would parse and plan it on every
//! call (docs/performance.md measured what that cost the task GET). A type
//! whose SQL is a constant is as safe to prepare once as any builder query.

/// Defines `$name`, an expression of SQL type `$sql_type` whose text is the
/// constant `$text`.
macro_rules! constant_sql_expression {
    ($(#[$meta:meta])* $name:ident: $sql_type:ty = $text:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
        pub(crate) struct $name;

        impl diesel::expression::Expression for $name {
            type SqlType = $sql_type;
        }

        impl<QS> diesel::expression::AppearsOnTable<QS> for $name {}

        impl<QS> diesel::expression::SelectableExpression<QS> for $name {}

        impl diesel::expression::ValidGrouping<()> for $name {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }

        impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
            ) -> diesel::QueryResult<()> {
                out.push_sql($text);
                Ok(())
            }
        }
    };
}

pub(crate) use constant_sql_expression;

#[cfg(test)]
mod tests {
    use crate::schema::tasks;
    use crate::sql::prepared_sql::{Bind, PreparedSql};
    use diesel::pg::Pg;
    use diesel::prelude::*;
    use diesel::query_builder::QueryFragment;

    constant_sql_expression!(Answer: diesel::sql_types::BigInt = "42");

    /// What decides whether PostgreSQL plans a statement once per connection
    /// or on every call: each hot statement's building blocks, checked.
    #[test]
    fn hot_statements_stay_cacheable_and_sql_literals_would_not() {
        let with_constant = tasks::table.select((tasks::id, Answer));
        assert!(QueryFragment::<Pg>::is_safe_to_cache_prepared(&with_constant, &Pg).unwrap());
        let mut prepared = PreparedSql::new("SELECT 1 WHERE 1 = ");
        prepared.push("?", vec![Bind::BigInt(1)]);
        assert!(prepared.is_safe_to_cache_prepared(&Pg).unwrap());

        let with_literal = tasks::table.select((
            tasks::id,
            diesel::dsl::sql::<diesel::sql_types::BigInt>("42"),
        ));
        assert!(!QueryFragment::<Pg>::is_safe_to_cache_prepared(&with_literal, &Pg).unwrap());
        assert!(!diesel::sql_query("SELECT 1")
            .is_safe_to_cache_prepared(&Pg)
            .unwrap());
    }
}
