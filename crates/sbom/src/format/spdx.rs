//! SPDX.
