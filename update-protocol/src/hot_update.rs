//! Placeholder: filled in by the protocol's module.
