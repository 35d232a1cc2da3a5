//! Retries, timeouts and unknown outcomes under the fake's injected faults.

use std::time::Duration;

use cfsecret::cloudflare::{ApiError, BaseUrl, Client, Deletion, Owner};
use cfsecret::error::Diagnose;
use fake_cloudflare::{FakeCloudflare, Fault, FaultKind, Op, Resource, TokenSpec};

use crate::harness::{Env, dns_token, secret};

#[tokio::test]
async fn rate_limit_waits_retry_after_then_succeeds() {
    let env = Env::new();
    env.fake.add_fault(Fault::new(
        Op::ListTokens,
        FaultKind::RateLimit {
            retry_after_secs: 7,
        },
    ));
    let client = env.client();
    client.list_tokens(&Owner::User).await.unwrap();
    assert_eq!(env.sleeper.waits(), [Duration::from_secs(7)]);
    // Page 1 after the 429; it is short, so it is the last (issue 12, item 9: no call for an
    // empty page 2).
    assert_eq!(env.statuses(Op::ListTokens), [Some(429), Some(200)]);
}

#[tokio::test]
async fn rate_limited_create_is_retried_because_it_was_not_carried_out() {
    let env = Env::new();
    let client = env.client();
    let spec = dns_token(&client, "after-429").await;
    env.fake.add_fault(Fault::new(
        Op::CreateToken,
        FaultKind::RateLimit {
            retry_after_secs: 2,
        },
    ));
    client.create_token(&Owner::User, &spec).await.unwrap();
    assert_eq!(env.sleeper.waits(), [Duration::from_secs(2)]);
    assert_eq!(env.fake.active_tokens_named("after-429").len(), 1);
}

#[tokio::test]
async fn rate_limit_beyond_the_budget_says_when_to_retry() {
    let env = Env::new();
    env.fake.add_fault(Fault::new(
        Op::GetToken,
        FaultKind::RateLimit {
            retry_after_secs: 300,
        },
    ));
    let err = env
        .client()
        .get_token(&Owner::User, &env.fake.bootstrap_token_id())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "rate_limited");
    assert!(!err.maybe_applied());
    let text = env.check(&err);
    assert!(
        text.contains("retry after") && text.contains("in 5m"),
        "{text}"
    );
    assert!(env.sleeper.waits().is_empty(), "gave up without waiting");
}

#[tokio::test]
async fn server_error_on_get_is_retried() {
    let env = Env::new();
    env.fake
        .add_fault(Fault::new(Op::GetToken, FaultKind::server_error()));
    let token = env
        .client()
        .get_token(&Owner::User, &env.fake.bootstrap_token_id())
        .await
        .unwrap();
    assert_eq!(token.id, env.fake.bootstrap_token_id());
    assert_eq!(env.statuses(Op::GetToken), [Some(500), Some(200)]);
    assert_eq!(env.sleeper.waits().len(), 1);
}

#[tokio::test]
async fn persistent_html_500_gives_up_after_max_attempts() {
    let env = Env::new();
    env.fake
        .add_fault(Fault::new(Op::ListTokens, FaultKind::server_error()).times(10));
    let err = env.client().list_tokens(&Owner::User).await.unwrap_err();
    assert_eq!(err.code(), "server_error");
    assert!(!err.maybe_applied());
    let text = env.check(&err);
    assert!(
        text.contains("HTTP 500") && text.contains("3 attempts"),
        "{text}"
    );
    assert_eq!(env.statuses(Op::ListTokens).len(), 3);
}

#[tokio::test]
async fn server_error_on_create_is_not_retried_and_reports_unknown_outcome() {
    let env = Env::new();
    let client = env.client();
    let spec = dns_token(&client, "five-hundred").await;
    env.fake
        .add_fault(Fault::new(Op::CreateToken, FaultKind::server_error()));
    let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
    assert!(err.maybe_applied());
    assert_eq!(err.code(), "outcome_unknown");
    let text = env.check(&err);
    assert!(text.contains("may have been created"), "{text}");
    assert_eq!(env.statuses(Op::CreateToken), [Some(500)]);
    // The fake's 500 really did not create it; the caller reconciles by name.
    assert!(env.fake.active_tokens_named("five-hundred").is_empty());
    assert!(
        !client
            .list_tokens(&Owner::User)
            .await
            .unwrap()
            .iter()
            .any(|t| t.name == "five-hundred")
    );
}

#[tokio::test]
async fn dropped_response_on_create_created_the_token_and_says_maybe_applied() {
    let env = Env::new();
    let client = env.client();
    let spec = dns_token(&client, "dropped").await;
    env.fake
        .add_fault(Fault::new(Op::CreateToken, FaultKind::DropResponse));
    let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                maybe_applied: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "outcome_unknown");
    env.check(&err);
    assert_eq!(env.statuses(Op::CreateToken), [None]);
    env.fake.wait_idle();
    // It did happen: reconciling by name finds the orphan, whose secret nobody has.
    assert_eq!(env.fake.active_tokens_named("dropped").len(), 1);
    let orphan: Vec<_> = client
        .list_tokens(&Owner::User)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.name == "dropped")
        .collect();
    assert_eq!(orphan.len(), 1);
    assert_eq!(
        client
            .delete_token(&Owner::User, &orphan[0].id)
            .await
            .unwrap(),
        Deletion::Deleted
    );
}

#[tokio::test]
async fn dropped_response_on_delete_is_retried_and_finds_it_gone() {
    let env = Env::new();
    let zone = env.fake.zone_id("example.com").unwrap();
    let minted = env
        .fake
        .mint(TokenSpec::user("old").permission("DNS Read", Resource::Zone(zone)));
    env.fake
        .add_fault(Fault::new(Op::DeleteToken, FaultKind::DropResponse));
    let outcome = env
        .client()
        .delete_token(&Owner::User, &minted.id)
        .await
        .unwrap();
    assert_eq!(outcome, Deletion::AlreadyGone);
    assert_eq!(env.statuses(Op::DeleteToken), [None, Some(404)]);
    assert!(!env.fake.is_active_secret(&minted.secret));
}

#[tokio::test]
async fn stall_past_the_timeout_on_verify_is_retried() {
    let env = Env::new();
    let client = env.client_with(None, Duration::from_secs(1));
    env.fake
        .add_fault(Fault::new(Op::VerifyToken, FaultKind::Stall { secs: 2 }));
    let result = client
        .verify(&secret(&env.fake.bootstrap_token()), None)
        .await
        .unwrap();
    assert_eq!(result.id, env.fake.bootstrap_token_id());
    env.fake.wait_idle();
    assert_eq!(env.statuses(Op::VerifyToken).len(), 2);
}

#[tokio::test]
async fn stall_past_the_timeout_on_roll_is_not_retried_and_the_secret_is_lost() {
    let env = Env::new();
    let zone = env.fake.zone_id("example.com").unwrap();
    let minted = env
        .fake
        .mint(TokenSpec::user("rolled").permission("DNS Read", Resource::Zone(zone)));
    let client = env.client_with(Some(env.bootstrap()), Duration::from_secs(1));
    env.fake
        .add_fault(Fault::new(Op::RollToken, FaultKind::Stall { secs: 2 }));
    let err = client
        .roll_token(&Owner::User, &minted.id)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Timeout {
                maybe_applied: true,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "outcome_unknown");
    let text = env.check(&err);
    assert!(text.contains("new one is lost"), "{text}");
    env.fake.wait_idle();
    assert_eq!(env.statuses(Op::RollToken).len(), 1, "sent exactly once");
    // The fake carried it out after the client gave up: the old secret is dead.
    assert!(!env.fake.is_active_secret(&minted.secret));
    let err = client
        .verify(&secret(&minted.secret), None)
        .await
        .unwrap_err();
    assert!(err.token_invalid());
    env.check(&err);
}

#[tokio::test]
async fn unreachable_server_retries_even_create_because_nothing_was_sent() {
    let env = Env::new();
    let spec = dns_token(&env.client(), "unsent").await;
    // A second fake, stopped at once: its port now refuses connections.
    let stopped = FakeCloudflare::start();
    let base = BaseUrl::parse(&stopped.base_url()).unwrap();
    drop(stopped);
    let client = Client::new(
        base,
        Some(env.bootstrap()),
        env.config(Duration::from_secs(2)),
    )
    .unwrap();
    let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                maybe_applied: false,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "network");
    assert_eq!(env.sleeper.waits().len(), 2);
    let text = env.check(&err);
    assert!(text.contains("could not reach Cloudflare"), "{text}");
    assert!(env.fake.active_tokens_named("unsent").is_empty());
}
