//! The Vedette Management Console: one HTTPS port serving the web UI, the REST
//! API and the sensor endpoints, over an embedded SQLite or a PostgreSQL store.
