//! The developer tasks' own PostgreSQL access: a connection whose driver runs
//! on its own task, and the server the tasks create their databases on.

use anyhow::{Context, Result};
use tokio_postgres::{Client, NoTls};

/// Connects to `url`; the connection lives until the client is dropped.
pub async fn connect(url: &str) -> Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// `DATABASE_URL` without its database name: where fresh databases go.
pub fn server_url() -> Result<String> {
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL (source .data/env)")?;
    url.rsplit_once('/')
        .map(|(server, _)| server.to_owned())
        .context("DATABASE_URL has no database name")
}
