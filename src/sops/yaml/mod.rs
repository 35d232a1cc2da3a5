//! The YAML store: parsing with positions, yaml.v3-compatible typing and emission.

mod alias;
mod append;
mod comments;
pub mod emit;
mod mask;
mod owner;
pub mod parse;
pub mod positions;
pub mod resolve;

pub use parse::{YamlError, YamlErrorKind, parse};
