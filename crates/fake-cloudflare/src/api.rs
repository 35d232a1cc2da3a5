//! Dispatch of one `/client/v4` request: route, authenticate, handle. The
//! handlers return `Result`, and this is the one place errors become replies.

use crate::api_directory;
use crate::api_reads;
use crate::api_tokens;
use crate::auth;
use crate::envelope::{ApiError, Reply};
use crate::request::ApiRequest;
use crate::router::{Action, Route};
use crate::state::State;

pub(crate) fn dispatch(
    state: &mut State,
    req: &ApiRequest,
    route: Option<&Route>,
    now: i64,
) -> Reply {
    handle(state, req, route, now).unwrap_or_else(Reply::from)
}

fn handle(
    state: &mut State,
    req: &ApiRequest,
    route: Option<&Route>,
    now: i64,
) -> Result<Reply, ApiError> {
    let route = route.ok_or_else(ApiError::no_route)?;
    if let Route::Tokens(scope, Action::Verify) = route {
        return api_tokens::verify(state, req, scope, now);
    }
    let who = auth::authenticate(state, req, now)?;
    match route {
        Route::Tokens(scope, action) => api_tokens::handle(state, req, &who, scope, action, now),
        Route::Zones => api_directory::list_zones(state, req, &who),
        Route::Accounts => api_directory::list_accounts(state, req, &who),
        Route::User => api_directory::user(state, &who),
        Route::Read(read) => api_reads::handle(state, req, &who, read),
    }
}
