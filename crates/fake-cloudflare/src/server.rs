//! The HTTP/1.1 server. hyper is used directly because the DropResponse
//! fault must close a connection without writing anything, which needs
//! ownership of the connection task.
//!
//! Each API request is carried out in its own spawned task, so it completes
//! even if the client gives up and hyper drops the service future (the
//! Stall fault relies on that: the work happens after the client timed out).

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};

use crate::api;
use crate::app::App;
use crate::control;
use crate::envelope::{ApiError, Body, Reply};
use crate::faults::FaultKind;
use crate::journal::{RequestRecord, lock};
use crate::request::{self, ApiRequest};
use crate::router::{self, Route};

pub(crate) const API_PREFIX: &str = "/client/v4";
pub(crate) const CONTROL_PREFIX: &str = "/__fake";
const MAX_BODY: usize = 1 << 20;

pub(crate) async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    mut shutdown: oneshot::Receiver<()>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    app.connections.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let app = Arc::clone(&app);
                    match tls.clone() {
                        // A failed handshake (an untrusting client) just closes the socket.
                        Some(acceptor) => {
                            tokio::spawn(async move {
                                if let Ok(s) = acceptor.accept(stream).await {
                                    connection(s, peer.ip(), app).await;
                                }
                            });
                        }
                        None => {
                            tokio::spawn(connection(stream, peer.ip(), app));
                        }
                    }
                }
                // E.g. out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

async fn connection<S>(stream: S, peer: IpAddr, app: Arc<App>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let kill = Arc::new(Notify::new());
    let service = {
        let kill = Arc::clone(&kill);
        service_fn(move |req| handle(Arc::clone(&app), peer, Arc::clone(&kill), req))
    };
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        // Dropping `conn` closes the socket with no response written.
        _ = kill.notified() => {}
    }
}

async fn handle(
    app: Arc<App>,
    peer: IpAddr,
    kill: Arc<Notify>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    if let Some(rest) = under(&path, CONTROL_PREFIX) {
        let rest = rest.to_string();
        let method = req.method().as_str().to_string();
        let query = request::parse_query(req.uri().query());
        let reply = match read_body(req.into_body()).await {
            Ok(body) => control::handle(&app, &method, &rest, &query, &body).await,
            Err(e) => e.into(),
        };
        return Ok(to_response(reply));
    }

    let in_flight = app.journal.begin();
    let method = req.method().as_str().to_string();
    let raw_query = req.uri().query().map(str::to_string);
    let header = |name: &str| {
        req.headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let (authorization, auth_email, auth_key) = (
        header("authorization"),
        header("x-auth-email"),
        header("x-auth-key"),
    );
    let api_path = under(&path, API_PREFIX);
    let route = api_path.and_then(|p| router::route(&method, p));
    let op = route.as_ref().map(Route::op);
    let fault = lock(&app.faults).on_request(&method, op);
    let (body, body_error) = match read_body(req.into_body()).await {
        Ok(b) => (b, None),
        Err(e) => (Bytes::new(), Some(e)),
    };

    let api_req = ApiRequest {
        api_path: api_path.unwrap_or(&path).to_string(),
        query: request::parse_query(raw_query.as_deref()),
        authorization,
        auth_email,
        auth_key,
        body,
        peer,
    };
    let dropping = fault == Some(FaultKind::DropResponse);
    let task = tokio::spawn(async move {
        let reply = if let Some(r) = fault.as_ref().and_then(FaultKind::replacement) {
            r
        } else if let Some(e) = body_error {
            e.into()
        } else {
            if let Some(FaultKind::Stall { secs }) = fault {
                tokio::time::sleep(Duration::from_secs(secs)).await;
            }
            carry_out(&app, &api_req, route.as_ref())
        };
        let status = (!dropping).then_some(reply.status);
        if app.log_requests {
            let shown = status.map_or("dropped".to_string(), |s| s.to_string());
            eprintln!("{method} {path} {shown}");
        }
        app.journal.record(RequestRecord {
            method,
            path,
            query: raw_query,
            op,
            status,
            fault,
        });
        drop(in_flight);
        reply
    });
    let reply = task.await.unwrap_or_else(|_| {
        Reply::from(ApiError::new(
            500,
            10001,
            "fake-cloudflare: handler panicked",
        ))
    });
    if dropping {
        kill.notify_one();
        std::future::pending::<()>().await;
    }
    Ok(to_response(reply))
}

fn carry_out(app: &App, req: &ApiRequest, route: Option<&Route>) -> Reply {
    let now = app.now();
    let mut state = lock(&app.state);
    api::dispatch(&mut state, req, route, now)
}

/// The rest of `path` if it is `prefix` or below it.
fn under<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

async fn read_body(body: Incoming) -> Result<Bytes, ApiError> {
    Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .map_err(|_| ApiError::new(413, 1001, "Request body too large or unreadable"))
}

/// Every response carries the rate-limit headers the live API sends since
/// 2025-09.
pub(crate) fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let (content_type, bytes) = match reply.body {
        Body::Json(v) => (
            "application/json",
            serde_json::to_vec(&v).unwrap_or_default(),
        ),
        Body::Text { content_type, text } => (content_type, text.into_bytes()),
    };
    let mut resp = Response::new(Full::new(Bytes::from(bytes)));
    *resp.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let h: &mut HeaderMap = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        "ratelimit",
        HeaderValue::from_static("\"default\";r=50;t=30"),
    );
    h.insert(
        "ratelimit-policy",
        HeaderValue::from_static("\"burst\";q=100;w=60"),
    );
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    resp
}
