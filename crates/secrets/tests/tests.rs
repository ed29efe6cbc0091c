//! Integration tests of vedette-secrets: every built-in rule's examples, realistic source
//! trees with planted secrets and look-alikes, redaction of every output, user rule files and
//! hostile inputs.

// Every rule's positive and negative examples, and rule-set invariants.
mod rule_examples;
