//! SQL functions the query builder does not know by itself.

use diesel::sql_types::Text;

diesel::define_sql_function! {
    /// `lower(text)`: emails are compared lower-cased, matching the
    /// `users_email_lower_key` index.
    fn lower(value: Text) -> Text;
}
