//! Maps method + path below `/client/v4` to an operation. Anything else is
//! 404/7003 "No route for the URI", including a known path with the wrong
//! method [?: the live API may answer 405 there].

use crate::faults::Op;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    User,
    Account(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    Create,
    List,
    Verify,
    PermissionGroups,
    Get(String),
    Update(String),
    Delete(String),
    Roll(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Tokens(Scope, Action),
    Zones,
    Accounts,
    /// `GET /user` (cloudflare-go `user.go` `UserDetails`; api-schemas `user_user-details`).
    User,
    /// The read-only zone and account endpoints of `verify --probe` (see `api_reads`).
    Read(crate::api_reads::Read),
}

impl Route {
    pub(crate) fn op(&self) -> Op {
        match self {
            Route::Zones => Op::ListZones,
            Route::Accounts => Op::ListAccounts,
            Route::User => Op::GetUser,
            Route::Read(_) => Op::ReadResource,
            Route::Tokens(_, a) => match a {
                Action::Create => Op::CreateToken,
                Action::List => Op::ListTokens,
                Action::Verify => Op::VerifyToken,
                Action::PermissionGroups => Op::PermissionGroups,
                Action::Get(_) => Op::GetToken,
                Action::Update(_) => Op::UpdateToken,
                Action::Delete(_) => Op::DeleteToken,
                Action::Roll(_) => Op::RollToken,
            },
        }
    }
}

pub(crate) fn route(method: &str, api_path: &str) -> Option<Route> {
    let path = api_path.strip_suffix('/').unwrap_or(api_path);
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    if segs.iter().any(|s| s.is_empty()) {
        return None;
    }
    let (scope, rest) = match segs.as_slice() {
        ["zones"] if method == "GET" => return Some(Route::Zones),
        ["accounts"] if method == "GET" => return Some(Route::Accounts),
        ["user"] if method == "GET" => return Some(Route::User),
        read if method == "GET" && crate::api_reads::Read::route(read).is_some() => {
            return crate::api_reads::Read::route(read).map(Route::Read);
        }
        ["user", "tokens", rest @ ..] => (Scope::User, rest),
        ["accounts", id, "tokens", rest @ ..] => (Scope::Account(id.to_string()), rest),
        _ => return None,
    };
    let action = match (method, rest) {
        ("POST", []) => Action::Create,
        ("GET", []) => Action::List,
        ("GET", ["verify"]) => Action::Verify,
        ("GET", ["permission_groups"]) => Action::PermissionGroups,
        ("GET", [id]) => Action::Get(id.to_string()),
        ("PUT", [id]) => Action::Update(id.to_string()),
        ("DELETE", [id]) => Action::Delete(id.to_string()),
        ("PUT", [id, "value"]) => Action::Roll(id.to_string()),
        _ => return None,
    };
    Some(Route::Tokens(scope, action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let id = "ed17574386854bf78a67040be0a770b0".to_string();
        let a = "01a7362d577a6c3019a474fd6f485823".to_string();
        let cases = [
            (
                "POST",
                "/user/tokens",
                Some(Route::Tokens(Scope::User, Action::Create)),
            ),
            (
                "GET",
                "/user/tokens/",
                Some(Route::Tokens(Scope::User, Action::List)),
            ),
            (
                "GET",
                "/user/tokens/verify",
                Some(Route::Tokens(Scope::User, Action::Verify)),
            ),
            (
                "PUT",
                &format!("/user/tokens/{id}/value"),
                Some(Route::Tokens(Scope::User, Action::Roll(id.clone()))),
            ),
            (
                "DELETE",
                &format!("/accounts/{a}/tokens/{id}"),
                Some(Route::Tokens(
                    Scope::Account(a.clone()),
                    Action::Delete(id.clone()),
                )),
            ),
            (
                "GET",
                &format!("/accounts/{a}/tokens/permission_groups"),
                Some(Route::Tokens(
                    Scope::Account(a.clone()),
                    Action::PermissionGroups,
                )),
            ),
            ("GET", "/zones", Some(Route::Zones)),
            ("GET", "/accounts", Some(Route::Accounts)),
            ("POST", "/zones", None),
            ("PATCH", "/user/tokens", None),
            ("GET", "/user//tokens", None),
            ("GET", "/user/tokens/a/b", None),
            ("GET", "/nope", None),
        ];
        for (m, p, want) in cases {
            assert_eq!(route(m, p), want, "{m} {p}");
        }
    }
}
