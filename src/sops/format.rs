//! The three file formats cfsecret reads and writes, chosen by extension as sops chooses them.

use std::path::Path;

use super::dotenv::SOPS_PREFIX;
use super::tree::Document;

/// A SOPS file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `.yaml` / `.yml`
    Yaml,
    /// `.json`
    Json,
    /// `.env`
    Dotenv,
}

impl Format {
    /// The format for a path, by extension.
    pub(crate) fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "yaml" | "yml" => Some(Self::Yaml),
            "json" => Some(Self::Json),
            "env" => Some(Self::Dotenv),
            _ => None,
        }
    }

    /// Whether a top-level key holds metadata rather than data.
    pub(crate) fn metadata_test(self) -> fn(&str) -> bool {
        match self {
            Self::Dotenv => |k| k.starts_with(SOPS_PREFIX),
            Self::Yaml | Self::Json => |k| k == "sops",
        }
    }

    /// Parses a text of this format into documents.
    pub(crate) fn parse(self, src: &str) -> Result<Vec<Document>, (usize, usize, String)> {
        match self {
            Self::Yaml => super::yaml::parse(src).map_err(|e| (e.line, e.col, e.kind.to_string())),
            Self::Json => super::json::parse(src)
                .map(|d| vec![d])
                .map_err(|e| (e.line, e.col, e.message)),
            Self::Dotenv => super::dotenv::parse(src)
                .map(|d| vec![d])
                .map_err(|e| (e.line, 1, e.message.to_owned())),
        }
    }
}
