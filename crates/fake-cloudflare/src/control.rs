//! The HTTP control plane under `/__fake/`, for tests that run the fake out
//! of process. It mirrors the Rust handle (both call `App`), answers plain
//! JSON (no v4 envelope), and is neither journaled nor subject to faults.
//! Endpoints are listed in the crate README.

use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::app::App;
use crate::clock::format_ts;
use crate::envelope::Reply;
use crate::faults::Fault;
use crate::journal::lock;
use crate::spec::TokenSpec;

/// Upper bound for `wait-idle`, so a wedged fake cannot hang a test run.
const MAX_WAIT: Duration = Duration::from_secs(120);

pub(crate) async fn handle(
    app: &App,
    method: &str,
    path: &str,
    query: &[(String, String)],
    body: &Bytes,
) -> Reply {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segs.as_slice()) {
        ("GET", ["state"]) => ok(state(app)),
        ("GET", ["tokens"]) => {
            let name = param(query, "name");
            ok(json!(
                app.tokens(name, param(query, "active") == Some("true"))
            ))
        }
        ("POST", ["tokens"]) => with_body(body, |spec: TokenSpec| match app.mint(&spec) {
            Ok(m) => ok(json!(m)),
            Err(e) => fail(400, &e),
        }),
        ("GET", ["tokens", id]) => app
            .token(id)
            .map_or_else(|| not_found(id), |t| ok(json!(t))),
        ("DELETE", ["tokens", id]) => done(app.delete(id), id),
        ("POST", ["tokens", id, "status"]) => with_body(body, |b: StatusBody| {
            done(app.set_status(id, &b.status), id)
        }),
        ("POST", ["tokens", id, "backdate"]) => {
            with_body(body, |b: SecsBody<u64>| done(app.backdate(id, b.secs), id))
        }
        ("POST", ["secrets", "lookup"]) => with_body(body, |b: SecretBody| {
            ok(json!({
                "token": app.token_for_secret(&b.secret),
                "active": app.is_active_secret(&b.secret),
            }))
        }),
        ("GET", ["issued-secrets"]) => ok(json!(app.issued_secrets())),
        ("GET", ["faults"]) => ok(json!(lock(&app.faults).pending())),
        ("POST", ["faults"]) => with_body(body, |f: Fault| {
            lock(&app.faults).add(f);
            ok(json!({"ok": true}))
        }),
        ("DELETE", ["faults"]) => {
            lock(&app.faults).clear();
            ok(json!({"ok": true}))
        }
        ("POST", ["clock", "advance"]) => with_body(body, |b: SecsBody<i64>| {
            app.clock.advance(b.secs);
            ok(json!({"now": format_ts(app.now())}))
        }),
        ("GET", ["requests"]) => ok(json!(app.journal.records())),
        ("GET", ["counters"]) => ok(json!({
            "requests": app.journal.records().len(),
            "connections": app.connections.load(std::sync::atomic::Ordering::SeqCst),
        })),
        ("DELETE", ["requests"]) => {
            app.journal.clear();
            ok(json!({"ok": true}))
        }
        ("POST", ["wait-idle"]) => {
            let timeout = param(query, "timeout_secs")
                .and_then(|v| v.parse().ok())
                .map_or(MAX_WAIT, Duration::from_secs)
                .min(MAX_WAIT);
            wait_idle(app, timeout).await
        }
        _ => fail(
            404,
            "no such control endpoint; see the fake-cloudflare README",
        ),
    }
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
}

#[derive(Deserialize)]
struct SecsBody<T> {
    secs: T,
}

#[derive(Deserialize)]
struct SecretBody {
    secret: String,
}

fn state(app: &App) -> Value {
    let st = lock(&app.state);
    let dir = &st.dir;
    json!({
        "user_id": dir.user_id,
        "email": dir.email,
        "accounts": dir.accounts.iter().map(|a| json!({"id": a.id, "name": a.name})).collect::<Vec<_>>(),
        "zones": dir.zones.iter()
            .map(|z| json!({"id": z.id, "name": z.name, "account_id": z.account_id}))
            .collect::<Vec<_>>(),
        "now": format_ts(app.now()),
        "in_flight": app.journal.in_flight(),
        "tokens": st.tokens.iter().map(|t| app.info(t)).collect::<Vec<_>>(),
    })
}

/// Polls rather than blocking the runtime thread on the journal's condvar.
async fn wait_idle(app: &App, timeout: Duration) -> Reply {
    let deadline = Instant::now() + timeout;
    loop {
        if app.journal.in_flight() == 0 {
            return ok(json!({"idle": true}));
        }
        if Instant::now() >= deadline {
            return Reply::json(
                504,
                json!({"idle": false, "error": "requests still in flight"}),
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn param<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn with_body<T: DeserializeOwned>(body: &Bytes, f: impl FnOnce(T) -> Reply) -> Reply {
    match serde_json::from_slice(body) {
        Ok(v) => f(v),
        Err(e) => fail(400, &format!("bad request body: {e}")),
    }
}

fn done(found: bool, id: &str) -> Reply {
    if found {
        ok(json!({"id": id}))
    } else {
        not_found(id)
    }
}

fn ok(v: Value) -> Reply {
    Reply::json(200, v)
}

fn not_found(id: &str) -> Reply {
    fail(404, &format!("no token {id}"))
}

fn fail(status: u16, message: &str) -> Reply {
    Reply::json(status, json!({"error": message}))
}
