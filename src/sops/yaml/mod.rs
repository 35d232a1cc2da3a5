//! The YAML store: parsing with positions, yaml.v3-compatible typing and emission.

mod comments;
pub mod emit;
mod mask;
pub mod parse;
pub mod resolve;

pub use parse::{YamlError, YamlErrorKind, parse};
