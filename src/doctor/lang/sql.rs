//! SQL: PostgreSQL statements through sqlparser.

/// PostgreSQL statements of a SQL file.
pub fn sql_statements(
    text: &str,
) -> Result<Vec<sqlparser::ast::Statement>, sqlparser::parser::ParserError> {
    sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, text)
}
