//! `spawn_app`: the real api on a random port with isolated storage.

use crate::databases::{create_test_database, drop_database, environment, TestEnvironment};
use crate::{logs, routes};
use adapters_postgres::StatementCounter;
use app::api::Api;
use app::Config;
use std::collections::HashMap;
use std::future::Future;
use std::net::{SocketAddr, TcpListener};

pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub database_name: String,
    pub redis_prefix: String,
    pub config: Config,
    /// Counts every statement the api's pool sends (reset it, make a
    /// request, read it: that request's statement count).
    pub statements: StatementCounter,
    env: TestEnvironment,
    /// The first instance owns the database and Redis keys (drops them);
    /// replicas share them.
    owns_storage: bool,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Stops the server gracefully and waits for it (pools closed).
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("server task"),
            None => Ok(()),
        }
    }

    /// Waits for the server task to end by itself (after a signal).
    pub async fn wait_for_exit(mut self) -> std::io::Result<()> {
        match self.server.take() {
            Some(server) => server.await.expect("server task"),
            None => Ok(()),
        }
    }

    pub fn database_url(&self) -> String {
        self.env.database_url(&self.database_name)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
        if !self.owns_storage {
            return;
        }
        // Drop cannot be async: drop the database and the Redis keys from a
        // helper thread with its own runtime, and wait, so nothing outlives the test.
        let env = self.env.clone();
        let name = self.database_name.clone();
        let prefix = self.redis_prefix.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(async {
                    drop_database(&env, &name).await;
                    delete_redis_keys(&env.redis_url, &prefix).await;
                });
            }
        })
        .join();
    }
}

/// Removes every key under the test's Redis prefix.
async fn delete_redis_keys(url: &str, prefix: &str) {
    let settings = adapters_redis::RedisSettings {
        url: url.to_owned(),
        key_prefix: prefix.to_owned(),
        timeout: std::time::Duration::from_secs(2),
        breaker_cooldown: std::time::Duration::from_secs(1),
    };
    if let Ok(store) = adapters_redis::RedisStore::new(&settings) {
        let _ = store.delete_all_keys().await;
    }
}

/// The api with the default test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[], std::future::pending()).await
}

/// The api with configuration `overrides` (variable → value) and a custom stop
/// trigger (a signal listener in the shutdown test; otherwise `TestApp::stop`).
pub async fn spawn_app_with(
    overrides: &[(&str, &str)],
    stop_trigger: impl Future<Output = &'static str> + Send + 'static,
) -> TestApp {
    logs::install();
    let env = environment().await.clone();
    let database_name = create_test_database(&env).await;
    let redis_prefix = format!("test:{}:", uuid::Uuid::now_v7().simple());
    let config = test_config(
        &env.database_url(&database_name),
        &env.redis_url,
        &redis_prefix,
        overrides,
    );
    start(config, env, database_name, redis_prefix, true, stop_trigger).await
}

impl TestApp {
    /// Another api process on the same database and Redis keys (N replicas
    /// share state), with its own configuration `overrides` on top of this
    /// one's (a different `REDIS_URL`, say).
    pub async fn replica(&self, overrides: &[(&str, &str)]) -> TestApp {
        let config = test_config(
            &self.database_url(),
            &self.config.redis_url,
            &self.redis_prefix,
            overrides,
        );
        start(
            config,
            self.env.clone(),
            self.database_name.clone(),
            self.redis_prefix.clone(),
            false,
            std::future::pending(),
        )
        .await
    }
}

/// The test configuration: this database and Redis prefix, then `overrides`.
fn test_config(
    database_url: &str,
    redis_url: &str,
    redis_prefix: &str,
    overrides: &[(&str, &str)],
) -> Config {
    let mut values: HashMap<String, String> = [
        ("OPSFLOW_ENV", "test"),
        ("DATABASE_URL", database_url),
        ("REDIS_URL", redis_url),
        ("OPSFLOW_REDIS_PREFIX", redis_prefix),
        ("OPSFLOW_MIGRATE_ON_START", "false"),
        ("OPSFLOW_CORS_ORIGINS", "http://allowed.example"),
        ("OPSFLOW_SHUTDOWN_GRACE_SECS", "10"),
        ("OPSFLOW_DB_POOL_SIZE", "8"),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect();
    for (key, value) in overrides {
        values.insert((*key).to_owned(), (*value).to_owned());
    }
    Config::from_lookup(|name| values.get(name).cloned()).expect("test config")
}

async fn start(
    config: Config,
    env: TestEnvironment,
    database_name: String,
    redis_prefix: String,
    owns_storage: bool,
    stop_trigger: impl Future<Output = &'static str> + Send + 'static,
) -> TestApp {
    // reqwest is built with rustls and no default crypto provider (the
    // worker's webhook client installs ring's); this process's clients need
    // one too.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
    let statements = StatementCounter::default();
    let api = Api::build_counted(
        &config,
        listener,
        Some(1),
        routes::test_routes,
        Some(statements.clone()),
    )
    .await
    .expect("build the api");
    let address = api.address();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let stop = async move {
        tokio::select! {
            _ = stop_rx => "test stop",
            reason = stop_trigger => reason,
        }
    };
    let server = tokio::spawn(api.run_until(stop));
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client"),
        database_name,
        redis_prefix,
        config,
        statements,
        env,
        owns_storage,
        server: Some(server),
        stop: Some(stop_tx),
    }
}
