//! `--key` paths: a top-level key (`cloudflare_api_token`) or sops's index syntax
//! (`["cloudflare"]["api_token"]`, `['list'][0]`).

use std::fmt;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A map key.
    Key(String),
    /// A list position.
    Index(usize),
}

/// A parsed key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyPath(Vec<Step>);

/// A key path that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyPathError {
    /// The path as given.
    pub(crate) path: String,
    /// What is wrong.
    pub(crate) why: &'static str,
}

impl fmt::Display for KeyPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the key path `{}` is invalid: {}", self.path, self.why)
    }
}

impl KeyPath {
    /// Parses a key path. Text not starting with `[` is one top-level key, taken literally.
    pub(crate) fn parse(s: &str) -> Result<Self, KeyPathError> {
        let err = |why| KeyPathError {
            path: s.to_owned(),
            why,
        };
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        if !s.starts_with('[') {
            return Ok(Self(vec![Step::Key(s.to_owned())]));
        }
        let mut steps = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            let body = rest.strip_prefix('[').ok_or_else(|| err("expected `[`"))?;
            let step = if let Some(q) = body.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let inner = &body[1..];
                let close = inner
                    .find(q)
                    .ok_or_else(|| err("a quoted key is not closed"))?;
                let after = &inner[close + 1..];
                rest = after
                    .strip_prefix(']')
                    .ok_or_else(|| err("expected `]` after a quoted key"))?;
                Step::Key(inner[..close].to_owned())
            } else {
                let close = body.find(']').ok_or_else(|| err("a `[` is not closed"))?;
                let n = body[..close]
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| err("a step must be a quoted key or a list position"))?;
                rest = &body[close + 1..];
                Step::Index(n)
            };
            steps.push(step);
        }
        if steps.is_empty() {
            return Err(err("it names no key"));
        }
        if !matches!(steps[0], Step::Key(_)) {
            return Err(err("it must start with a key: the top level is a map"));
        }
        Ok(Self(steps))
    }

    /// A path of map keys.
    pub(crate) fn from_keys<I: IntoIterator<Item = S>, S: Into<String>>(keys: I) -> Self {
        Self(keys.into_iter().map(|k| Step::Key(k.into())).collect())
    }

    /// A path from steps (at least one).
    pub(crate) fn from_steps(steps: Vec<Step>) -> Self {
        Self(steps)
    }

    /// The steps.
    pub(crate) fn steps(&self) -> &[Step] {
        &self.0
    }

    /// The map keys of the path, list positions left out: what sops binds ciphertexts to and
    /// applies its selection rules to.
    pub(crate) fn keys(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter_map(|s| match s {
                Step::Key(k) => Some(k.as_str()),
                Step::Index(_) => None,
            })
            .collect()
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [Step::Key(k)] = self.0.as_slice() {
            return f.write_str(k);
        }
        for s in &self.0 {
            match s {
                Step::Key(k) => write!(f, "[{k:?}]")?,
                Step::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_spellings() {
        assert_eq!(
            KeyPath::parse("cloudflare_api_token").unwrap().steps(),
            [Step::Key("cloudflare_api_token".into())]
        );
        assert_eq!(
            KeyPath::parse(r#"["cloudflare"]['api_token'][2]"#)
                .unwrap()
                .steps(),
            [
                Step::Key("cloudflare".into()),
                Step::Key("api_token".into()),
                Step::Index(2)
            ]
        );
        assert_eq!(
            KeyPath::parse(r#"["a"]["b"]"#).unwrap().to_string(),
            r#"["a"]["b"]"#
        );
        assert_eq!(KeyPath::parse("plain").unwrap().to_string(), "plain");
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in ["", "[", "[\"a\"", "[\"a\"]x", "[a]", "[0]", "[]"] {
            assert!(KeyPath::parse(bad).is_err(), "{bad}");
        }
    }
}
