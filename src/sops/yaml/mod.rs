//! The YAML store: parsing with positions, yaml.v3-compatible typing and emission.

mod comments;
pub(crate) mod emit;
mod mask;
pub(crate) mod parse;
pub(crate) mod resolve;

pub(crate) use parse::parse;
