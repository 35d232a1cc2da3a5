//! The API operations the client performs, and what each one's nature means for retries.
//!
//! Retry safety is a property of the operation, not of the HTTP method: a PUT that rolls a secret
//! is "idempotent" by HTTP's definition, yet retrying it after the first one was applied destroys
//! the secret the first one returned. So every call names its [`Op`], and [`Op::idempotent`] is the
//! one place that decides.

use std::fmt;

/// One Cloudflare API operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `GET …/tokens/verify` with the token itself as the bearer.
    Verify,
    /// `POST …/tokens`.
    CreateToken,
    /// `GET …/tokens/{id}`.
    GetToken,
    /// `GET …/tokens?page=…`.
    ListTokens,
    /// `PUT …/tokens/{id}`.
    UpdateToken,
    /// `DELETE …/tokens/{id}`.
    DeleteToken,
    /// `PUT …/tokens/{id}/value`.
    RollToken,
    /// `GET …/tokens/permission_groups`.
    PermissionGroups,
    /// `GET /zones?name=…`.
    Zones,
    /// `GET /accounts`.
    Accounts,
    /// `GET /user` (the user's id, for a user-scoped grant).
    User,
}

impl Op {
    /// Whether the call may be sent again when the first attempt's outcome is unknown (a 5xx, a
    /// timeout, a connection that broke after the request went out).
    ///
    /// Reads and verify change nothing. DELETE is safe to repeat: a second delete of a deleted
    /// token is a 404, which [`super::Client::delete_token`] reports as "already gone". Create,
    /// update and roll are not: a repeated create mints a second token, a repeated roll kills the
    /// secret the first roll returned, and a repeated update may overwrite someone else's change.
    pub fn idempotent(self) -> bool {
        !matches!(
            self,
            Self::CreateToken | Self::UpdateToken | Self::RollToken
        )
    }

    /// The calls on `…/tokens…` that need API Tokens Read or Write (all but verify).
    pub fn is_token_management(self) -> bool {
        !matches!(
            self,
            Self::Verify | Self::Zones | Self::Accounts | Self::User
        )
    }

    /// Whether a successful response carries a token secret, so that its body must be handled as
    /// secret material and parse errors must not quote it.
    pub fn returns_secret(self) -> bool {
        matches!(self, Self::CreateToken | Self::RollToken)
    }

    /// A verb phrase for messages: "Cloudflare refused to {op}".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Verify => "verify the token",
            Self::CreateToken => "create a token",
            Self::GetToken => "read the token",
            Self::ListTokens => "list tokens",
            Self::UpdateToken => "update the token",
            Self::DeleteToken => "delete the token",
            Self::RollToken => "roll the token",
            Self::PermissionGroups => "list permission groups",
            Self::Zones => "look up zones",
            Self::Accounts => "list accounts",
            Self::User => "read the user's details",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_verify_and_delete_are_retryable() {
        for op in [
            Op::Verify,
            Op::GetToken,
            Op::ListTokens,
            Op::DeleteToken,
            Op::PermissionGroups,
            Op::Zones,
            Op::Accounts,
        ] {
            assert!(op.idempotent(), "{op:?}");
        }
        for op in [Op::CreateToken, Op::UpdateToken, Op::RollToken] {
            assert!(!op.idempotent(), "{op:?}");
        }
        assert!(Op::RollToken.returns_secret() && Op::CreateToken.returns_secret());
        assert!(!Op::Verify.returns_secret());
    }
}
