//! The generator: reads release manifests, validates them with errors that name the file, the
//! field and the fix, hashes artifacts, and writes the static site and the edge data.
//!
//! Pipeline: [`load`] → [`validate`] → [`hash`] → [`plan`] (pure) → [`emit`] (the only writer).

pub mod args;
pub mod atomic_file;
pub mod cli;
pub mod cmd;
pub mod emit;
pub mod feeds;
pub mod fuzz;
pub mod hash;
pub mod keystore;
pub mod layout;
pub mod load;
pub mod package;
pub mod pages;
pub mod plan;
pub mod problem;
pub mod site_model;
pub mod templates;
pub mod tuf;
pub mod validate;
pub mod verify;
