//! Operations an operator runs from the shell on the console host, against
//! the same store and data dir as the running console: creating an admin,
//! showing or rotating the sensor API key. Each is audited with actor `cli`.

use anyhow::Context;

use crate::audit::Event;
use crate::auth::{Role, password, users};
use crate::config::Config;
use crate::sensors;
use crate::server::open_store;

/// Creates a user (normally the first admin) with a password.
pub async fn create_user(
    config: &Config,
    username: &str,
    plain_password: &str,
    role: Role,
) -> anyhow::Result<()> {
    users::check_username(username).map_err(anyhow::Error::msg)?;
    password::check_policy(username, plain_password).map_err(anyhow::Error::msg)?;
    let store = open_store(config).await?;
    let hash = password::hash(plain_password)?;
    let created = users::create(&store, username, &hash, role).await?;
    if created.is_none() {
        anyhow::bail!("the user name `{username}` is taken");
    }
    Event::success("cli", "user.create")
        .on(username)
        .detail(format!("role {role}, created from the shell"))
        .record(&store)
        .await?;
    store.close().await;
    Ok(())
}

/// The sensor API key, if this data dir holds its current plaintext.
pub async fn show_api_key(config: &Config) -> anyhow::Result<Option<String>> {
    let store = open_store(config).await?;
    let key = sensors::ensure_api_key(&store, &config.data_dir)
        .await
        .context("cannot read the sensor API key")?;
    store.close().await;
    Ok(key)
}

/// Rotates the sensor API key and returns the new one.
pub async fn rotate_api_key(config: &Config) -> anyhow::Result<String> {
    let store = open_store(config).await?;
    let key = sensors::rotate_api_key(&store, &config.data_dir)
        .await
        .context("cannot rotate the sensor API key")?;
    Event::success("cli", "sensor_key.rotate")
        .detail("rotated from the shell")
        .record(&store)
        .await?;
    store.close().await;
    Ok(key)
}
