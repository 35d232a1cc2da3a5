//! Round trips: create, verify, get, update, roll, delete, list, account tokens, catalog.

use std::time::Duration;

use cfsecret::cloudflare::{
    ApiError, CredentialSource, Deletion, ManagementCredential, NewToken, Owner,
    PermissionGroupFilter, Scope, TokenStatus,
};
use cfsecret::error::{Diagnose, Exit};
use cfsecret::permissions::policy::{build_policies, ip_condition, same_grants, same_policies};
use cfsecret::permissions::{ScopeContext, resolve_all};
use fake_cloudflare::{Op, Resource, TokenSpec};
use secrecy::ExposeSecret;

use crate::harness::{Env, dns_token, secret};

#[tokio::test]
async fn create_verify_get_update_roll_delete_round_trip() {
    let env = Env::new();
    let client = env.client();
    let spec = dns_token(&client, "cert-manager").await;

    let (token, value) = client.create_token(&Owner::User, &spec).await.unwrap();
    assert_eq!(token.name, "cert-manager");
    assert_eq!(token.status, TokenStatus::Active);
    assert!(value.expose_secret().starts_with("cfut_"));
    assert!(env.fake.is_active_secret(value.expose_secret()));
    assert!(same_policies(&token.policies, &spec.policies));
    assert!(!format!("{value:?}").contains(value.expose_secret()));

    let verified = client.verify(&value, None).await.unwrap();
    assert_eq!(verified.id, token.id);
    assert!(verified.status.is_active());

    let read = client.get_token(&Owner::User, &token.id).await.unwrap();
    assert!(same_grants(&token, &read));
    let listed = client.list_tokens(&Owner::User).await.unwrap();
    assert!(listed.iter().any(|t| t.id == token.id));

    let mut renamed = NewToken::from_token(&read);
    renamed.name = "cert-manager-renamed".into();
    let updated = client
        .update_token(&Owner::User, &token.id, &renamed)
        .await
        .unwrap();
    assert_eq!(updated.name, "cert-manager-renamed");
    assert!(same_grants(&read, &updated));

    let rolled = client.roll_token(&Owner::User, &token.id).await.unwrap();
    assert_ne!(rolled.expose_secret(), value.expose_secret());
    assert!(env.fake.is_active_secret(rolled.expose_secret()));
    let old = client.verify(&value, None).await.unwrap_err();
    assert!(old.token_invalid());
    assert_eq!(old.code(), "token_invalid");
    assert_eq!(old.exit(), Exit::NotActive);
    env.check(&old);
    assert_eq!(client.verify(&rolled, None).await.unwrap().id, token.id);

    assert_eq!(
        client.delete_token(&Owner::User, &token.id).await.unwrap(),
        Deletion::Deleted
    );
    assert_eq!(
        client.delete_token(&Owner::User, &token.id).await.unwrap(),
        Deletion::AlreadyGone
    );
    let gone = client.verify(&rolled, None).await.unwrap_err();
    assert!(gone.token_invalid());
    let unknown = client.get_token(&Owner::User, &token.id).await.unwrap_err();
    assert_eq!(unknown.code(), "unknown_token");
    assert!(env.check(&unknown).contains("deleted"));
}

#[tokio::test]
async fn successor_gets_the_same_policies_and_condition() {
    let env = Env::new();
    let client = env.client();
    let mut spec = dns_token(&client, "deploy").await;
    spec.condition = ip_condition(&["127.0.0.1", "::1"], &["192.0.2.0/24"]).unwrap();
    spec.expires_on = Some(jiff::Timestamp::now() + Duration::from_secs(86_400));
    let (old, _old_secret) = client.create_token(&Owner::User, &spec).await.unwrap();
    assert_eq!(
        old.expires_on.map(|t| t.as_second()),
        spec.expires_on.map(|t| t.as_second())
    );

    let successor = NewToken::successor_of(&old, "deploy-2");
    let (new, new_secret) = client.create_token(&Owner::User, &successor).await.unwrap();
    assert_ne!(new.id, old.id);
    assert!(same_grants(&old, &new), "{old:#?}\n{new:#?}");
    // The fake applies the IP condition: the client on 127.0.0.1 may use it.
    assert!(
        client
            .verify(&new_secret, None)
            .await
            .unwrap()
            .status
            .is_active()
    );
}

#[tokio::test]
async fn list_follows_pages_until_a_short_one() {
    let env = Env::new();
    for i in 0..55 {
        env.fake
            .mint(TokenSpec::user(&format!("bulk-{i}")).permission(
                "Zone Read",
                Resource::Zone(env.fake.zone_id("example.com").unwrap()),
            ));
    }
    let tokens = env.client().list_tokens(&Owner::User).await.unwrap();
    assert_eq!(tokens.len(), 56); // + bootstrap
    let pages: Vec<Option<String>> = env
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.op == Some(Op::ListTokens))
        .map(|r| r.query)
        .collect();
    // 50 + 6: the short second page is the last (no call for an empty third).
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(
        pages
            .iter()
            .all(|q| q.as_deref().unwrap_or("").contains("per_page=50"))
    );
}

#[tokio::test]
async fn account_owned_tokens() {
    let env = Env::new();
    let client = env.client();
    let account = env.fake.account_id();
    let owner = Owner::account(&account);
    let groups = client
        .permission_groups(&owner, &PermissionGroupFilter::default())
        .await
        .unwrap();
    let ctx = ScopeContext {
        zones: false,
        accounts: true,
    };
    let perms = resolve_all(&["Account:Account Settings:Read"], &groups, ctx).unwrap();
    let policies = build_policies(&perms, &[], std::slice::from_ref(&account), None).unwrap();
    let (token, value) = client
        .create_token(&owner, &NewToken::new("ci", policies))
        .await
        .unwrap();
    assert!(value.expose_secret().starts_with("cfat_"));
    assert_eq!(
        client.verify(&value, Some(&account)).await.unwrap().id,
        token.id
    );
    // Without the account id, the user endpoint does not know it: say what to pass.
    let err = client.verify(&value, None).await.unwrap_err();
    assert!(matches!(err, ApiError::AccountIdNeeded { .. }), "{err:?}");
    assert!(env.check(&err).contains("--account-id"));
    assert_eq!(
        client.list_tokens(&owner).await.unwrap().len(),
        1,
        "account tokens are listed under the account"
    );
}

#[tokio::test]
async fn verify_reports_inactive_statuses() {
    let env = Env::new();
    let client = env.client_with(None, Duration::from_secs(5));
    let zone = env.fake.zone_id("example.com").unwrap();
    let minted = env
        .fake
        .mint(TokenSpec::user("t").permission("DNS Read", Resource::Zone(zone)));
    let s = secret(&minted.secret);
    env.fake.set_status(&minted.id, "disabled");
    assert_eq!(
        client.verify(&s, None).await.unwrap().status,
        TokenStatus::Disabled
    );
    env.fake.set_status(&minted.id, "revoked (exposed)");
    assert_eq!(
        client.verify(&s, None).await.unwrap().status,
        TokenStatus::RevokedExposed
    );
    // No management credential: management calls say so instead of sending anything.
    let err = client.list_tokens(&Owner::User).await.unwrap_err();
    assert_eq!(err.code(), "no_credential");
    assert!(env.check(&err).contains("CLOUDFLARE_API_TOKEN"));
}

#[tokio::test]
async fn global_api_key_manages_tokens() {
    let env = Env::new();
    let (email, key) = env.fake.global_api_key();
    let cred =
        ManagementCredential::global_key(&email, &secret(&key), CredentialSource::GlobalKeyEnv)
            .unwrap();
    let client = env.client_with(Some(cred), Duration::from_secs(5));
    assert!(!client.list_tokens(&Owner::User).await.unwrap().is_empty());
    assert!(!format!("{client:?}").contains(&key));
}

#[tokio::test]
async fn live_catalog_resolves_dashboard_spellings_and_presets() {
    let env = Env::new();
    let groups = env
        .client()
        .permission_groups(&Owner::User, &PermissionGroupFilter::default())
        .await
        .unwrap();
    assert!(groups.len() > 50, "the whole catalog in one call");
    let both = ScopeContext {
        zones: true,
        accounts: true,
    };
    let resolved = resolve_all(
        &[
            "Zone:DNS:Edit",
            "Zone:Zone:Read",
            "Account:Cloudflare Workers:Edit",
            "Account:Cloudflare R2:Edit",
            "Zone:Cloudflare Workers Routes:Edit",
            "User:API Tokens:Edit",
        ],
        &groups,
        both,
    )
    .unwrap();
    let names: Vec<&str> = resolved.iter().map(|r| r.group.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "DNS Write",
            "Zone Read",
            "Workers Scripts Write",
            "Workers R2 Storage Write",
            "Workers Routes Write",
            "API Tokens Write"
        ]
    );
    for preset in cfsecret::permissions::presets::PRESETS {
        preset
            .resolve(&groups)
            .unwrap_or_else(|e| panic!("{}: {e}", preset.name));
    }
    // Server-side filters.
    let filtered = env
        .client()
        .permission_groups(
            &Owner::User,
            &PermissionGroupFilter {
                name: Some("DNS Write".into()),
                scope: Some(Scope::Zone),
            },
        )
        .await
        .unwrap();
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].name, "DNS Write");
}

#[tokio::test]
async fn zones_and_accounts_by_name() {
    let env = Env::new();
    let client = env.client();
    let zones = client.zones_by_name("example.org").await.unwrap();
    assert_eq!(zones.len(), 1);
    assert_eq!(Some(zones[0].id.clone()), env.fake.zone_id("example.org"));
    assert_eq!(
        zones[0].account.as_ref().map(|a| a.id.clone()),
        Some(env.fake.account_id())
    );
    assert!(
        client
            .zones_by_name("nope.example")
            .await
            .unwrap()
            .is_empty()
    );
    let all = client.accounts(None).await.unwrap();
    assert_eq!(all.len(), 1);
    let named = client.accounts(Some(&all[0].name)).await.unwrap();
    assert_eq!(named[0].id, env.fake.account_id());
    assert!(client.accounts(Some("Nobody's")).await.unwrap().is_empty());
}
