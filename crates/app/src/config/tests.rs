use super::*;
use std::collections::HashMap;

fn config_from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    Config::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn defaults_work_on_a_developer_machine() {
    let config = config_from(&[]).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(config.env, Environment::Dev);
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.worker_listen.to_string(), "127.0.0.1:8081");
    assert_eq!(
        config.database_url,
        "postgres://postgres@127.0.0.1:5432/opsflow"
    );
    assert!(config.migrate_on_start);
    assert!(!config.auth.cookie_secure);
    assert_eq!(config.auth.bcrypt_cost, 12);
    assert_eq!(config.auth.access_token_ttl, Duration::from_secs(900));
    assert_eq!(config.cors_origins, vec!["http://localhost:3000"]);
    assert_eq!(config.jobs.max_attempts, 8);
}

#[test]
fn test_environment_lowers_bcrypt_cost() {
    let config = config_from(&[("OPSFLOW_ENV", "test")]).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(config.auth.bcrypt_cost, 4);
}

#[test]
fn job_attempts_come_from_the_environment() {
    let config =
        config_from(&[("OPSFLOW_JOB_MAX_ATTEMPTS", "3")]).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(config.jobs.max_attempts, 3);
    let error = config_from(&[("OPSFLOW_JOB_MAX_ATTEMPTS", "0")]).err();
    assert_eq!(error.map(|e| e.var), Some("OPSFLOW_JOB_MAX_ATTEMPTS"));
}

#[test]
fn malformed_listen_address_names_the_variable() {
    let error = config_from(&[("OPSFLOW_LISTEN", "localhost")]).err();
    assert_eq!(
        error.map(|e| e.to_string()),
        Some("OPSFLOW_LISTEN: expected host:port such as 127.0.0.1:8080, got \"localhost\"".into())
    );
}

#[test]
fn out_of_range_numbers_name_the_variable_and_the_range() {
    let error = config_from(&[("OPSFLOW_BCRYPT_COST", "40")]).err();
    assert_eq!(
        error.map(|e| e.to_string()),
        Some("OPSFLOW_BCRYPT_COST: expected a whole number from 4 to 31, got \"40\"".into())
    );
}

#[test]
fn unknown_environment_is_refused() {
    let error = config_from(&[("OPSFLOW_ENV", "production")]).err();
    assert_eq!(error.map(|e| e.var), Some("OPSFLOW_ENV"));
}

#[test]
fn prod_requires_a_jwt_secret() {
    let error = config_from(&[("OPSFLOW_ENV", "prod")]).err();
    assert_eq!(
        error.map(|e| e.to_string()),
        Some("OPSFLOW_JWT_SECRET: is required when OPSFLOW_ENV=prod".into())
    );
}

#[test]
fn a_short_jwt_secret_is_refused_everywhere() {
    for env in ["dev", "test", "prod"] {
        let error = config_from(&[("OPSFLOW_ENV", env), ("OPSFLOW_JWT_SECRET", "short")]).err();
        assert_eq!(error.map(|e| e.var), Some("OPSFLOW_JWT_SECRET"), "{env}");
    }
}

#[test]
fn prod_refuses_insecure_cookies() {
    let secret = "x".repeat(32);
    let error = config_from(&[
        ("OPSFLOW_ENV", "prod"),
        ("OPSFLOW_JWT_SECRET", &secret),
        ("OPSFLOW_COOKIE_SECURE", "false"),
    ])
    .err();
    assert_eq!(error.map(|e| e.var), Some("OPSFLOW_COOKIE_SECURE"));
}

#[test]
fn prod_with_a_secret_defaults_to_secure_cookies_and_no_auto_migration() {
    let secret = "x".repeat(32);
    let config = config_from(&[("OPSFLOW_ENV", "prod"), ("OPSFLOW_JWT_SECRET", &secret)])
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(config.auth.cookie_secure);
    assert!(!config.migrate_on_start);
}

#[test]
fn wildcard_cors_origin_is_refused() {
    let error = config_from(&[("OPSFLOW_CORS_ORIGINS", "*")]).err();
    assert_eq!(error.map(|e| e.var), Some("OPSFLOW_CORS_ORIGINS"));
}

#[test]
fn cors_origins_are_a_trimmed_comma_list() {
    let config = config_from(&[(
        "OPSFLOW_CORS_ORIGINS",
        "https://a.example, http://b.example:3000",
    )])
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        config.cors_origins,
        vec!["https://a.example", "http://b.example:3000"]
    );
}

#[test]
fn malformed_booleans_and_urls_are_refused() {
    let error = config_from(&[("OPSFLOW_COOKIE_SECURE", "maybe")]).err();
    assert_eq!(error.map(|e| e.var), Some("OPSFLOW_COOKIE_SECURE"));
    let error = config_from(&[("DATABASE_URL", "mysql://x")]).err();
    assert_eq!(error.map(|e| e.var), Some("DATABASE_URL"));
}

#[test]
fn debug_output_never_shows_the_jwt_secret() {
    let secret = "s".repeat(40);
    let config =
        config_from(&[("OPSFLOW_JWT_SECRET", &secret)]).unwrap_or_else(|error| panic!("{error}"));
    assert!(!format!("{config:?}").contains(&secret));
}

#[test]
fn the_job_lease_is_short_by_default_and_must_outlast_a_webhook_delivery() {
    let config = config_from(&[]).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(config.jobs.lease, Duration::from_secs(60));

    let error = config_from(&[
        ("OPSFLOW_JOB_LEASE_SECS", "5"),
        ("OPSFLOW_WEBHOOK_TIMEOUT_MS", "5000"),
    ])
    .err()
    .map(|error| error.var);
    assert_eq!(error, Some("OPSFLOW_JOB_LEASE_SECS"));

    let config = config_from(&[
        ("OPSFLOW_JOB_LEASE_SECS", "5"),
        ("OPSFLOW_WEBHOOK_TIMEOUT_MS", "2000"),
    ])
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(config.jobs.lease, Duration::from_secs(5));
}
