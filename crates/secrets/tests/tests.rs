//! Integration tests of vedette-secrets: every built-in rule's examples, realistic source
//! trees with planted secrets and look-alikes, redaction of every output, user rule files and
//! hostile inputs.

// Deterministic random tokens and file helpers.
mod util;

// Every rule's positive and negative examples, and rule-set invariants.
mod rule_examples;
// Generated source trees with planted secrets and look-alikes; redaction of every output.
mod trees;
// Size limits, FIFOs, symlink loops, non-UTF-8 names, hostile regexes, archives and bombs.
mod hostile;
// User rule files: add, override, disable, allowlist, error messages.
mod user_rules;
// Sources: directories, a running container's root, images (every layer, archive, OCI
// layout, docker save stream) and hostile layers.
mod images;
