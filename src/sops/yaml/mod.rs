//! The YAML store: parsing with positions, yaml.v3-compatible typing and emission.

mod alias;
mod append;
mod comments;
pub(crate) mod emit;
mod mask;
mod owner;
pub(crate) mod parse;
pub(crate) mod positions;
pub(crate) mod resolve;

pub(crate) use parse::parse;
