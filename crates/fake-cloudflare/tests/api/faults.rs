//! Every fault kind, and whether the request was carried out.

use std::time::{Duration, Instant};

use fake_cloudflare::{FakeCloudflare, Fault, FaultKind, Op, ServerErrorBody};
use serde_json::{Value, json};

use crate::common::*;

fn create_body(name: &str) -> Value {
    token_body(name, ZONE_READ, all_zones())
}

#[tokio::test]
async fn server_error_is_not_carried_out() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    fake.add_fault(Fault::new(Op::CreateToken, FaultKind::server_error()));
    let r = api
        .post("/user/tokens", Auth::Bearer(&boot), create_body("html"))
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert!(
        serde_json::from_str::<Value>(&r.text).is_err(),
        "{}",
        r.text
    );
    assert!(fake.active_tokens_named("html").is_empty());

    fake.add_fault(Fault::new(
        Op::CreateToken,
        FaultKind::ServerError {
            body: ServerErrorBody::Json,
        },
    ));
    let r = api
        .post("/user/tokens", Auth::Bearer(&boot), create_body("json"))
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["success"], false);
    assert_eq!(r.json()["result"], Value::Null);
    assert!(fake.active_tokens_named("json").is_empty());
    assert_eq!(fake.issued_secrets().len(), 1, "only the bootstrap secret");

    // The faults are spent: the next create goes through.
    assert_eq!(
        api.post("/user/tokens", Auth::Bearer(&boot), create_body("ok"))
            .await
            .status,
        200
    );
    let log = fake.requests();
    let statuses: Vec<_> = log
        .iter()
        .map(|r| (r.op, r.status, r.fault.is_some()))
        .collect();
    assert_eq!(
        statuses,
        [
            (Some(Op::CreateToken), Some(500), true),
            (Some(Op::CreateToken), Some(500), true),
            (Some(Op::CreateToken), Some(200), false),
        ]
    );
}

#[tokio::test]
async fn server_error_on_roll_keeps_the_old_secret() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    let id = fake.bootstrap_token_id();
    fake.add_fault(Fault::new(Op::RollToken, FaultKind::server_error()));
    let r = api
        .put(
            &format!("/user/tokens/{id}/value"),
            Auth::Bearer(&boot),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 500);
    assert!(fake.is_active_secret(&boot));
    assert_eq!(fake.issued_secrets(), [boot]);
}

#[tokio::test]
async fn drop_response_carries_out_the_create() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    fake.add_fault(Fault::new(Op::CreateToken, FaultKind::DropResponse));
    let started = Instant::now();
    let err = api
        .try_call(
            "POST",
            "/user/tokens",
            Auth::Bearer(&boot),
            Some(create_body("lost")),
        )
        .await
        .err()
        .expect("the connection is closed without a response");
    assert!(!err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let created = fake.active_tokens_named("lost");
    assert_eq!(
        created.len(),
        1,
        "the token exists although the client never saw it"
    );
    assert_eq!(fake.issued_secrets().len(), 2);
    let rec = fake.requests().pop().unwrap();
    assert!(rec.dropped());
    assert_eq!(rec.fault, Some(FaultKind::DropResponse));
    assert_eq!(rec.op, Some(Op::CreateToken));
    // The server keeps serving.
    assert_eq!(
        api.get("/user/tokens/verify", Auth::Bearer(&boot))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn drop_response_on_roll_kills_the_old_secret() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    let id = fake.bootstrap_token_id();
    fake.add_fault(Fault::new(Op::RollToken, FaultKind::DropResponse));
    let res = api
        .try_call(
            "PUT",
            &format!("/user/tokens/{id}/value"),
            Auth::Bearer(&boot),
            Some(json!({})),
        )
        .await;
    assert!(res.is_err());
    assert!(!fake.is_active_secret(&boot));
    let newest = fake.issued_secrets().pop().unwrap();
    assert_ne!(newest, boot);
    assert!(fake.is_active_secret(&newest));
}

#[tokio::test]
async fn rate_limit_has_retry_after_and_is_not_carried_out() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    fake.add_fault(Fault::new(
        Op::CreateToken,
        FaultKind::RateLimit {
            retry_after_secs: 7,
        },
    ));
    let r = api
        .post("/user/tokens", Auth::Bearer(&boot), create_body("limited"))
        .await;
    r.assert_error(
        429,
        971,
        "Please wait and consider throttling your request speed",
    );
    assert_eq!(r.header("retry-after"), Some("7"));
    assert!(r.header("ratelimit").is_some());
    assert!(fake.active_tokens_named("limited").is_empty());
    assert_eq!(
        api.post("/user/tokens", Auth::Bearer(&boot), create_body("limited"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn stall_carries_out_the_request_after_the_client_gave_up() {
    let fake = FakeCloudflare::start();
    let impatient = Api::with_timeout(&fake, Duration::from_millis(300));
    let boot = fake.bootstrap_token();
    fake.add_fault(Fault::new(Op::CreateToken, FaultKind::Stall { secs: 1 }));
    let err = impatient
        .try_call(
            "POST",
            "/user/tokens",
            Auth::Bearer(&boot),
            Some(create_body("slow")),
        )
        .await
        .err()
        .expect("the client times out");
    assert!(err.is_timeout(), "{err:?}");
    assert!(fake.active_tokens_named("slow").is_empty(), "not yet");
    fake.wait_idle();
    assert_eq!(fake.active_tokens_named("slow").len(), 1);
    let rec = fake.requests().pop().unwrap();
    assert_eq!(rec.status, Some(200));
    assert_eq!(rec.fault, Some(FaultKind::Stall { secs: 1 }));
}

#[tokio::test]
async fn stall_delays_a_patient_client() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    fake.add_fault(Fault::new(Op::VerifyToken, FaultKind::Stall { secs: 1 }));
    let started = Instant::now();
    let r = api.get("/user/tokens/verify", Auth::Bearer(&boot)).await;
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn nth_times_and_method_matchers() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    fake.add_fault(
        Fault::new(Op::VerifyToken, FaultKind::server_error())
            .nth(2)
            .times(2),
    );
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(
            api.get("/user/tokens/verify", Auth::Bearer(&boot))
                .await
                .status,
        );
    }
    assert_eq!(got, [200, 500, 500, 200]);

    fake.add_fault(
        Fault::new(
            Op::Any,
            FaultKind::RateLimit {
                retry_after_secs: 1,
            },
        )
        .method("PUT"),
    );
    assert_eq!(api.get("/zones", Auth::Bearer(&boot)).await.status, 200);
    let id = fake.bootstrap_token_id();
    let r = api
        .put(
            &format!("/user/tokens/{id}/value"),
            Auth::Bearer(&boot),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 429);
    assert!(fake.is_active_secret(&boot));

    fake.add_fault(Fault::new(Op::ListZones, FaultKind::server_error()));
    assert_eq!(fake.pending_faults().len(), 1);
    fake.clear_faults();
    assert!(fake.pending_faults().is_empty());
    assert_eq!(api.get("/zones", Auth::Bearer(&boot)).await.status, 200);
}
