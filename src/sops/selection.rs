//! Which values sops encrypts: its `shouldBeEncrypted`, rule for rule.
//!
//! A file has exactly one rule (the default is `unencrypted_suffix: _unencrypted`). Suffix and
//! key regexes apply to every key of the path (list positions are not part of it); comment
//! regexes look at the comments that precede the value at each nesting level.

use regex::Regex;

/// The default rule's suffix.
pub(crate) const DEFAULT_UNENCRYPTED_SUFFIX: &str = "_unencrypted";

/// The one selection rule of a file.
#[derive(Debug, Clone)]
pub(crate) enum Rule {
    /// Keys ending with this suffix (and their subtrees) stay in clear text.
    UnencryptedSuffix(String),
    /// Only keys ending with this suffix (and their subtrees) are encrypted.
    EncryptedSuffix(String),
    /// Keys matching stay in clear text.
    UnencryptedRegex(Regex),
    /// Only keys matching are encrypted.
    EncryptedRegex(Regex),
    /// Values preceded by a matching comment stay in clear text.
    UnencryptedCommentRegex(Regex),
    /// Only values preceded by a matching comment are encrypted.
    EncryptedCommentRegex(Regex),
}

/// A selection-rule problem in metadata or in `.sops.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RuleError {
    /// More than one rule was given.
    SeveralRules,
    /// A regex does not compile.
    BadRegex {
        field: &'static str,
        message: String,
    },
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SeveralRules => f.write_str(
                "it uses more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, \
                 unencrypted_regex, encrypted_comment_regex and unencrypted_comment_regex",
            ),
            Self::BadRegex { field, message } => {
                write!(f, "its `{field}` is not a valid regex: {message}")
            }
        }
    }
}

fn regex(field: &'static str, pattern: &str) -> Result<Regex, RuleError> {
    Regex::new(pattern).map_err(|e| RuleError::BadRegex {
        field,
        message: e.to_string(),
    })
}

impl Rule {
    /// sops's default when a file states no rule.
    pub(crate) fn default_suffix() -> Self {
        Self::UnencryptedSuffix(DEFAULT_UNENCRYPTED_SUFFIX.to_owned())
    }

    /// `unencrypted_suffix`
    pub(crate) fn unencrypted_suffix(v: String) -> Result<Self, RuleError> {
        Ok(Self::UnencryptedSuffix(v))
    }

    /// `encrypted_suffix`
    pub(crate) fn encrypted_suffix(v: String) -> Result<Self, RuleError> {
        Ok(Self::EncryptedSuffix(v))
    }

    /// `unencrypted_regex`
    pub(crate) fn unencrypted_regex(v: String) -> Result<Self, RuleError> {
        Ok(Self::UnencryptedRegex(regex("unencrypted_regex", &v)?))
    }

    /// `encrypted_regex`
    pub(crate) fn encrypted_regex(v: String) -> Result<Self, RuleError> {
        Ok(Self::EncryptedRegex(regex("encrypted_regex", &v)?))
    }

    /// `unencrypted_comment_regex`
    pub(crate) fn unencrypted_comment_regex(v: String) -> Result<Self, RuleError> {
        Ok(Self::UnencryptedCommentRegex(regex(
            "unencrypted_comment_regex",
            &v,
        )?))
    }

    /// `encrypted_comment_regex`
    pub(crate) fn encrypted_comment_regex(v: String) -> Result<Self, RuleError> {
        Ok(Self::EncryptedCommentRegex(regex(
            "encrypted_comment_regex",
            &v,
        )?))
    }

    /// The metadata field name and value, as sops writes them.
    pub(crate) fn field(&self) -> (&'static str, &str) {
        match self {
            Self::UnencryptedSuffix(s) => ("unencrypted_suffix", s),
            Self::EncryptedSuffix(s) => ("encrypted_suffix", s),
            Self::UnencryptedRegex(r) => ("unencrypted_regex", r.as_str()),
            Self::EncryptedRegex(r) => ("encrypted_regex", r.as_str()),
            Self::UnencryptedCommentRegex(r) => ("unencrypted_comment_regex", r.as_str()),
            Self::EncryptedCommentRegex(r) => ("encrypted_comment_regex", r.as_str()),
        }
    }
}

/// The one rule a metadata block or a creation rule states, read field by field with `get`;
/// `None` when it states none (sops then applies [`Rule::default_suffix`]).
pub(crate) fn rule_from_fields(
    get: impl Fn(&str) -> Option<String>,
) -> Result<Option<Rule>, RuleError> {
    type Make = fn(String) -> Result<Rule, RuleError>;
    let fields: [(&str, Make); 6] = [
        ("unencrypted_suffix", Rule::unencrypted_suffix),
        ("encrypted_suffix", Rule::encrypted_suffix),
        ("unencrypted_regex", Rule::unencrypted_regex),
        ("encrypted_regex", Rule::encrypted_regex),
        ("unencrypted_comment_regex", Rule::unencrypted_comment_regex),
        ("encrypted_comment_regex", Rule::encrypted_comment_regex),
    ];
    let mut found = Vec::new();
    for (field, make) in fields {
        if let Some(v) = get(field).filter(|v| !v.is_empty()) {
            found.push(make(v)?);
        }
    }
    if found.len() > 1 {
        return Err(RuleError::SeveralRules);
    }
    Ok(found.pop())
}

/// The rule plus `mac_only_encrypted`.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    /// The selection rule.
    pub(crate) rule: Rule,
    /// Whether the MAC covers only encrypted values.
    pub(crate) mac_only_encrypted: bool,
}

impl Selection {
    /// Whether the rule depends on comments (so the walk must track them).
    pub(crate) fn uses_comments(&self) -> bool {
        matches!(
            self.rule,
            Rule::UnencryptedCommentRegex(_) | Rule::EncryptedCommentRegex(_)
        )
    }

    /// sops's `shouldBeEncrypted`. `comments` holds, per nesting level, the comments seen since
    /// the last value at that level.
    pub(crate) fn should_encrypt<S: AsRef<str>>(
        &self,
        path: &[S],
        comments: &[Vec<String>],
        is_comment: bool,
    ) -> bool {
        let keys = || path.iter().map(AsRef::as_ref);
        match &self.rule {
            Rule::UnencryptedSuffix(s) => !keys().any(|k| k.ends_with(s.as_str())),
            Rule::EncryptedSuffix(s) => keys().any(|k| k.ends_with(s.as_str())),
            Rule::UnencryptedRegex(r) => !keys().any(|k| r.is_match(k)),
            Rule::EncryptedRegex(r) => keys().any(|k| r.is_match(k)),
            Rule::UnencryptedCommentRegex(r) => !comments.iter().flatten().any(|c| r.is_match(c)),
            Rule::EncryptedCommentRegex(r) => {
                let last_level = comments.len().saturating_sub(1);
                let last_index = comments.last().map_or(0, Vec::len).saturating_sub(1);
                comments.iter().enumerate().any(|(i, level)| {
                    level.iter().enumerate().any(|(j, c)| {
                        // The matching comment line itself stays in clear text.
                        let itself = is_comment && i == last_level && j == last_index;
                        !itself && r.is_match(c)
                    })
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(rule: Rule) -> Selection {
        Selection {
            rule,
            mac_only_encrypted: false,
        }
    }

    #[test]
    fn rules_apply_to_every_key_of_the_path() {
        let s = sel(Rule::default_suffix());
        let none: [Vec<String>; 0] = [];
        assert!(s.should_encrypt(&["a", "b"], &none, false));
        assert!(!s.should_encrypt(&["a_unencrypted", "b"], &none, false));
        let s = sel(Rule::encrypted_regex("^(data|stringData)$".into()).unwrap());
        assert!(s.should_encrypt(&["stringData", "nested", "deep"], &none, false));
        assert!(!s.should_encrypt(&["metadata", "name"], &none, false));
        let s = sel(Rule::EncryptedSuffix("_secret".into()));
        assert!(s.should_encrypt(&["db_secret", "x"], &none, false));
        assert!(!s.should_encrypt(&["db"], &none, false));
    }

    #[test]
    fn comment_rules_look_at_preceding_comments() {
        let s = sel(Rule::unencrypted_comment_regex("sops:plain".into()).unwrap());
        let stack = vec![vec![" sops:plain".to_owned()]];
        assert!(!s.should_encrypt(&["a"], &stack, false));
        assert!(s.should_encrypt(&["a"], &[vec![]], false));
        let s = sel(Rule::encrypted_comment_regex("sops:enc".into()).unwrap());
        let stack = vec![vec![" sops:enc".to_owned()]];
        assert!(s.should_encrypt(&["a"], &stack, false));
        assert!(
            !s.should_encrypt(&["a"], &stack, true),
            "the marker comment stays clear"
        );
    }
}
