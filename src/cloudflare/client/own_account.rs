//! Finding an account-owned token's account with the token itself, when neither
//! `--account-id` nor a management credential says which account owns it (issue 12, item 5).

use reqwest::Method;

use super::super::error::ApiError;
use super::super::op::Op;
use super::super::owner::Owner;
use super::super::transport::{Auth, Call};
use super::super::types::{Account, VerifyResult};
use super::{Client, MAX_VERIFY_ACCOUNTS};

impl Client {
    /// Verifies an account-owned secret whose account is not given, without a management
    /// credential: the token itself may list its account (`GET /accounts`: answered 200 with
    /// the token's own account in 2026 reports — cloudflare/mcp PR #133, SamNet-dev/dnstm-setup
    /// PR #29 — but refused with 400/1001 "does not support account owned tokens" in an earlier
    /// capture, edgefirst-dev/starter #3). One account: verify there. Several: name them. None,
    /// or refused: ask for `--account-id` (`legacy`: the secret may also be a dead user token).
    pub(super) async fn verify_in_own_account<'a>(
        &self,
        auth: impl Fn() -> Auth<'a>,
        legacy: bool,
    ) -> Result<VerifyResult, ApiError> {
        let call = Call {
            op: Op::Accounts,
            method: Method::GET,
            url: self.url(
                &["accounts".to_owned()],
                &[("per_page", MAX_VERIFY_ACCOUNTS.to_string())],
            ),
            body: None,
            auth: auth(),
            token_id: None,
        };
        let listed = match self.transport.execute(&call).await {
            Ok(reply) => self
                .transport
                .parse_nullable::<Vec<Account>>(&call, &reply)
                .ok()
                .and_then(|(items, _)| items)
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        match listed.as_slice() {
            [] => Err(ApiError::AccountIdNeeded { legacy }),
            [one] => self.verify_on(&Owner::account(&one.id), auth()).await,
            several => Err(ApiError::AccountAmbiguous {
                // Ids from the network: only plain ones are echoed.
                accounts: several
                    .iter()
                    .map(|a| a.id.clone())
                    .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()))
                    .collect(),
            }),
        }
    }
}
