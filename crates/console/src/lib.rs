//! The Vedette Management Console: one HTTPS port serving the web UI, the REST
//! API and the sensor endpoints, over an embedded SQLite or a PostgreSQL store.
//!
//! Start with [`server::run`]; the HTTP surface is [`api::app`]; who may do
//! what is [`auth`]; persistence is [`store`].

#![deny(missing_docs)]

pub mod admin;
pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod list;
pub mod metrics;
pub mod sensors;
pub mod server;
pub mod settings;
pub mod state;
pub mod store;
pub mod tls;
pub mod topology;
pub mod ui;

pub use config::Config;
