//! Credentials and permissions: wrong, malformed, too weak, over quota, over-reaching.

use std::time::Duration;

use cfsecret::cloudflare::{
    CredentialSource, ManagementCredential, Owner, PermissionGroupFilter, Refusal,
};
use cfsecret::error::{Diagnose, Exit};
use cfsecret::permissions::policy::build_policies;
use cfsecret::permissions::{ScopeContext, resolve_all};
use fake_cloudflare::{Resource, TokenSpec};

use crate::harness::{Env, dns_token, secret};

#[tokio::test]
async fn wrong_credential_is_refused_with_a_useful_code() {
    let env = Env::new();
    let bogus = format!("cfut_{}0123abcd", "a1B2c3D4e5".repeat(4));
    let cred = ManagementCredential::bearer(&secret(&bogus), CredentialSource::TokenEnv).unwrap();
    let client = env.client_with(Some(cred), Duration::from_secs(5));
    let err = client.list_tokens(&Owner::User).await.unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::NotAuthorized));
    assert_eq!(err.code(), "not_authorized");
    let text = env.check(&err);
    assert!(
        text.contains("CLOUDFLARE_API_TOKEN") && text.contains("not valid"),
        "{text}"
    );
    assert!(!text.contains(&bogus));

    let err = client.verify(&secret(&bogus), None).await.unwrap_err();
    assert_eq!(err.code(), "token_invalid");
    assert_eq!(err.exit(), Exit::NotActive);
}

#[tokio::test]
async fn malformed_credential_is_caught_before_sending() {
    let env = Env::new();
    let err = ManagementCredential::bearer(
        &secret("Bearer abc def"),
        CredentialSource::AuthFile {
            path: "mgmt.sops.yaml".into(),
            key: "token".into(),
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "bad_credential");
    assert!(env.check(&err).contains("mgmt.sops.yaml"));
    let client = env.client_with(None, Duration::from_secs(5));
    let err = client
        .verify(&secret("not a token"), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "bad_credential");
    assert_eq!(err.exit(), Exit::NotActive);
    assert!(env.fake.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn missing_permission_names_the_credential_and_the_fix() {
    // The 403/10000 world (`Strict::lax()`); the live 403/9109 is in real_api.rs.
    let env = Env::with(fake_cloudflare::Config {
        strict: fake_cloudflare::Strict::lax(),
        ..Default::default()
    });
    let zone = env.fake.zone_id("example.com").unwrap();
    let weak = env
        .fake
        .mint(TokenSpec::user("dns-only").permission("DNS Write", Resource::Zone(zone)));
    let spec = dns_token(&env.client(), "wanted").await;
    for (source, named) in [
        (CredentialSource::TokenEnv, "CLOUDFLARE_API_TOKEN"),
        (CredentialSource::StoredToken, "the stored token"),
    ] {
        let cred = ManagementCredential::bearer(&secret(&weak.secret), source).unwrap();
        let client = env.client_with(Some(cred), Duration::from_secs(5));
        let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
        assert_eq!(err.code(), "missing_permission");
        assert!(!err.maybe_applied());
        let text = env.check(&err);
        assert!(text.contains("Authentication error (code 10000)"), "{text}");
        let hint = err.hint().unwrap();
        assert!(hint.starts_with(named), "{hint}");
        assert!(
            hint.contains("API Tokens Write") && hint.contains("--auth-file"),
            "{hint}"
        );
        let err = client.roll_token(&Owner::User, &weak.id).await.unwrap_err();
        assert_eq!(err.code(), "missing_permission");
        env.check(&err);
    }
    assert!(env.fake.active_tokens_named("wanted").is_empty());
}

#[tokio::test]
async fn quota_exceeded_is_recognised() {
    let env = Env::new();
    let client = env.client();
    let spec = dns_token(&client, "one-too-many").await;
    let zone = env.fake.zone_id("example.com").unwrap();
    for i in 0..50 {
        env.fake.mint(
            TokenSpec::user(&format!("fill-{i}"))
                .permission("DNS Read", Resource::Zone(zone.clone())),
        );
    }
    let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
    assert_eq!(err.code(), "quota_exceeded");
    assert!(env.check(&err).contains("50"));
}

#[tokio::test]
async fn resources_beyond_the_owner_are_not_authorized() {
    let env = Env::new();
    let client = env.client();
    let mut spec = dns_token(&client, "elsewhere").await;
    let groups = client
        .permission_groups(&Owner::User, &PermissionGroupFilter::default())
        .await
        .unwrap();
    let perms = resolve_all(
        &["DNS Write"],
        &groups,
        ScopeContext {
            zones: true,
            accounts: false,
        },
    )
    .unwrap();
    spec.policies = build_policies(&perms, &["0".repeat(32)], &[], None).unwrap();
    let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
    assert_eq!(err.code(), "not_authorized");
    let text = env.check(&err);
    assert!(text.contains("cannot grant more"), "{text}");
}
