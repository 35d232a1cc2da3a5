//! Who owns a token: the user (`/user/tokens…`) or an account (`/accounts/{id}/tokens…`).

use std::fmt;

/// The owner of the tokens an operation works on. `--account-id ID` selects [`Owner::Account`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    /// User-owned tokens: `/user/tokens…`. Quota: 50.
    User,
    /// Account-owned tokens: `/accounts/{account_id}/tokens…`. Quota: 500.
    Account(String),
}

impl Owner {
    /// An account owner; the id is trimmed.
    pub fn account(id: impl AsRef<str>) -> Self {
        // Account ids are hex; Cloudflare's are lower case, so `--account-id` is too.
        Self::Account(id.as_ref().trim().to_ascii_lowercase())
    }

    /// The path segments of the owner's token collection.
    pub(crate) fn tokens_path(&self) -> Vec<String> {
        match self {
            Self::User => vec!["user".into(), "tokens".into()],
            Self::Account(id) => vec!["accounts".into(), id.clone(), "tokens".into()],
        }
    }

    /// The permission group a credential needs to manage this owner's tokens.
    pub fn write_permission(&self) -> &'static str {
        match self {
            Self::User => "API Tokens Write",
            Self::Account(_) => "Account API Tokens Write",
        }
    }

    /// How many tokens Cloudflare lets this owner have.
    pub fn quota(&self) -> u32 {
        match self {
            Self::User => 50,
            Self::Account(_) => 500,
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User => f.write_str("your user"),
            Self::Account(id) => write!(f, "account {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(Owner::User.tokens_path(), ["user", "tokens"]);
        assert_eq!(
            Owner::account(" abc ").tokens_path(),
            ["accounts", "abc", "tokens"]
        );
        assert_eq!(Owner::account("abc").to_string(), "account abc");
    }
}
