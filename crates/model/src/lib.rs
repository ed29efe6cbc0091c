//! Types shared by every part of Vedette: the console, the sensor and the
//! scanner libraries.
//!
//! Architecture invariant: this crate does no I/O. It holds plain data types
//! (packages, ecosystems, later the sensor↔console wire protocol) and pure
//! functions over them, so that every other crate can depend on it cheaply.

#![deny(missing_docs)]

pub mod package;
pub mod wire;
