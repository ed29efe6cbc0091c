//! The `vedette` binary: command-line wiring only.

fn main() {}
