//! The client against the strict fake (`fake_cloudflare::Strict`): the behaviours of the real API
//! that the first fake smoothed over (cfsecret issue 12). Each test names its item.

use std::time::Duration;

use cfsecret::cloudflare::{
    ApiError, Deletion, NewToken, Owner, PermissionGroupFilter, Refusal, TokenStatus,
};
use cfsecret::error::{Diagnose, Exit};
use cfsecret::permissions::policy::{build_policies, nest_zones_under_account};
use cfsecret::permissions::presets::Preset;
use fake_cloudflare::{Config, Resource, Strict, TokenSpec};
use secrecy::ExposeSecret;

use crate::harness::{Env, dns_token, secret};

fn strict(f: impl FnOnce(&mut Strict)) -> Config {
    let mut c = Config::default();
    f(&mut c.strict);
    c
}

/// Item 3: a token without API Tokens Read/Write gets 403/9109 on the token routes, which is a
/// missing permission, and the hint names the management credential flags.
#[tokio::test]
async fn missing_permission_on_token_routes_is_9109_and_names_the_flags() {
    let env = Env::new();
    let zone = env.fake.zone_id("example.com").unwrap();
    let dns = env
        .fake
        .mint(TokenSpec::user("dns").permission("DNS Write", Resource::Zone(zone)));
    let as_dns = env.client_as(&dns.secret);
    for e in [
        as_dns.get_token(&Owner::User, &dns.id).await.unwrap_err(),
        as_dns.roll_token(&Owner::User, &dns.id).await.unwrap_err(),
        as_dns.list_tokens(&Owner::User).await.unwrap_err(),
    ] {
        let text = env.check(&e);
        assert_eq!(e.code(), "missing_permission", "{text}");
        assert!(text.contains("code 9109"), "{text}");
        assert!(text.contains("--auth-file"), "{text}");
        assert!(text.contains("--preset manager"), "{text}");
    }
    assert!(env.fake.is_active_secret(&dns.secret), "nothing was rolled");
}

/// Item 1: the minimal manager (API Tokens Write only) sees no zone and no account; ids need no
/// lookup at all.
#[tokio::test]
async fn minimal_manager_sees_no_zones_or_accounts() {
    let env = Env::new();
    let minimal = env.client_as(&env.fake.minimal_manager_token());
    assert!(
        minimal
            .zones_by_name("example.com")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(minimal.accounts(None).await.unwrap().is_empty());
    // With the zone id, the same credential mints a DNS token without any lookup.
    let groups = minimal
        .permission_groups(&Owner::User, &PermissionGroupFilter::default())
        .await
        .unwrap();
    let perms = Preset::find("edit-zone-dns")
        .unwrap()
        .resolve(&groups)
        .unwrap();
    let zone = env.fake.zone_id("example.com").unwrap();
    let policies = build_policies(&perms, &[zone], &[], None).unwrap();
    env.fake.clear_requests();
    minimal
        .create_token(&Owner::User, &NewToken::new("dns", policies))
        .await
        .unwrap();
    assert_eq!(env.fake.requests().len(), 1, "one call, no lookup");
    // The bootstrap token (Account Settings Read) still sees its account.
    assert_eq!(env.client().accounts(None).await.unwrap().len(), 1);
}

/// Item 1: the user id for the manager preset: GET /user with the Global API Key, else read
/// from the management token's own policies.
#[tokio::test]
async fn user_id_from_global_key_or_own_policies() {
    let env = Env::new();
    let want = env.fake.user_id();
    assert_eq!(env.client().user_id().await.unwrap(), want);
    let minimal = env.client_as(&env.fake.minimal_manager_token());
    assert_eq!(minimal.user_id().await.unwrap(), want);
}

/// Item 2: an account token holding only Account API Tokens Write fails the common permission
/// check for a flat single-zone grant (stable code, hint names the group) and passes with the
/// nested form account tokens use.
#[tokio::test]
async fn account_token_zone_grants_use_the_nested_form() {
    let env = Env::new();
    let account = env.fake.account_id();
    let manager = env
        .fake
        .mint(TokenSpec::account("manager", &account).permission(
            "Account API Tokens Write",
            Resource::Account(account.clone()),
        ));
    let client = env.client_as(&manager.secret);
    let owner = Owner::account(&account);
    let groups = client
        .permission_groups(&owner, &PermissionGroupFilter::default())
        .await
        .unwrap();
    let perms = Preset::find("edit-zone-dns")
        .unwrap()
        .resolve(&groups)
        .unwrap();
    let zone = env.fake.zone_id("example.com").unwrap();
    let flat = build_policies(&perms, std::slice::from_ref(&zone), &[], None).unwrap();
    let e = client
        .create_token(&owner, &NewToken::new("dns", flat.clone()))
        .await
        .unwrap_err();
    let text = env.check(&e);
    assert_eq!(e.refusal(), Some(Refusal::CommonPermissionCheck), "{text}");
    assert_eq!(e.code(), "common_permission_check");
    assert!(text.contains("\"DNS Write\""), "{text}");

    let mut nested = flat;
    nest_zones_under_account(&mut nested, &account);
    let (token, value) = client
        .create_token(&owner, &NewToken::new("dns", nested))
        .await
        .unwrap();
    assert!(env.fake.is_active_secret(value.expose_secret()));
    // A rotation copies the policies as read back: the successor passes too.
    let read = client.get_token(&owner, &token.id).await.unwrap();
    let successor = NewToken::successor_of(&read, "dns");
    client.create_token(&owner, &successor).await.unwrap();
}

/// Item 4: `result` is nullable on DELETE and on list pages.
#[tokio::test]
async fn null_results_on_delete_and_empty_pages() {
    let env = Env::with(strict(|s| s.null_results = true));
    let client = env.client();
    let spec = dns_token(&client, "dns").await;
    let (token, _) = client.create_token(&Owner::User, &spec).await.unwrap();
    assert!(client.list_tokens(&Owner::User).await.unwrap().len() >= 2);
    assert_eq!(
        client.delete_token(&Owner::User, &token.id).await.unwrap(),
        Deletion::Deleted
    );
    assert!(
        client
            .zones_by_name("nope.example")
            .await
            .unwrap()
            .is_empty()
    );
    let account = env.fake.account_id();
    assert!(
        client
            .list_tokens(&Owner::account(&account))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Item 5: a legacy 40-character account secret verified without --account-id asks for the
/// account id (exit 2), not "invalid" (exit 3); with a credential that lists accounts it is
/// found; a 403 for a `cfat_` secret on the user endpoint also asks for the account id.
#[tokio::test]
async fn legacy_and_account_secrets_ask_for_the_account_id() {
    let env = Env::with(strict(|s| s.legacy_account_secrets = true));
    let account = env.fake.account_id();
    let client = env.client();
    let owner = Owner::account(&account);
    let groups = client
        .permission_groups(&owner, &PermissionGroupFilter::default())
        .await
        .unwrap();
    let perms = Preset::find("edit-zone-dns")
        .unwrap()
        .resolve(&groups)
        .unwrap();
    let zone = env.fake.zone_id("example.com").unwrap();
    let mut policies = build_policies(&perms, &[zone], &[], None).unwrap();
    nest_zones_under_account(&mut policies, &account);
    let (token, value) = client
        .create_token(&owner, &NewToken::new("legacy", policies))
        .await
        .unwrap();
    assert_eq!(value.expose_secret().len(), 40);
    assert!(!value.expose_secret().starts_with("cfat_"));

    let verify_only = env.client_with(None, Duration::from_secs(5));
    let e = verify_only.verify(&value, None).await.unwrap_err();
    let text = env.check(&e);
    assert!(
        matches!(e, ApiError::AccountIdNeeded { legacy: true }),
        "{text}"
    );
    assert_eq!(e.code(), "account_id_needed");
    assert_eq!(e.exit(), Exit::Usage);
    assert!(text.contains("--account-id"), "{text}");
    let upper = account.to_ascii_uppercase();
    assert_eq!(
        verify_only.verify(&value, Some(&upper)).await.unwrap().id,
        token.id
    );
    // With a management credential that can list accounts, the account is found.
    assert_eq!(client.verify(&value, None).await.unwrap().id, token.id);

    // A cfat_ secret answered 403 on /user/tokens/verify.
    let env = Env::with(strict(|s| s.account_token_on_user_verify_403 = true));
    let verify_only = env.client_with(None, Duration::from_secs(5));
    let cfat = env.fake.mint(
        TokenSpec::account("scannable", &account)
            .permission("Account Settings Read", Resource::Account(account.clone())),
    );
    let e = verify_only
        .verify(&secret(&cfat.secret), None)
        .await
        .unwrap_err();
    let text = env.check(&e);
    assert_eq!(e.code(), "account_id_needed", "{text}");
}

/// Item 7: an unknown token id answered 404/1000 is `unknown_token`; an update never echoes a
/// status the update API does not accept.
#[tokio::test]
async fn unknown_token_and_update_status() {
    let env = Env::with(strict(|s| s.unknown_token_code_1000 = true));
    let client = env.client();
    let e = client
        .get_token(&Owner::User, "0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    let text = env.check(&e);
    assert_eq!(e.code(), "unknown_token", "{text}");

    let spec = dns_token(&client, "dns").await;
    let (token, _) = client.create_token(&Owner::User, &spec).await.unwrap();
    env.fake.set_status(&token.id, "revoked (exposed)");
    let read = client.get_token(&Owner::User, &token.id).await.unwrap();
    assert_eq!(read.status, TokenStatus::RevokedExposed);
    let mut renamed = NewToken::from_token(&read);
    renamed.name = "renamed".into();
    let updated = client
        .update_token(&Owner::User, &token.id, &renamed)
        .await
        .unwrap();
    assert_eq!(updated.name, "renamed");
    assert_eq!(
        updated.status,
        TokenStatus::RevokedExposed,
        "status untouched"
    );
}

/// Item 9: clients made from one another share one connection.
#[tokio::test]
async fn one_connection_for_all_clients_of_a_run() {
    let env = Env::new();
    let base = env.client_with(None, Duration::from_secs(5));
    let before = env.fake.connections();
    let manager = base.with_credential(Some(env.bootstrap())).unwrap();
    let verified = base
        .verify(&secret(&env.fake.bootstrap_token()), None)
        .await
        .unwrap();
    manager.get_token(&Owner::User, &verified.id).await.unwrap();
    manager.list_tokens(&Owner::User).await.unwrap();
    base.verify(&secret(&env.fake.bootstrap_token()), None)
        .await
        .unwrap();
    assert_eq!(env.fake.connections() - before, 1);
}

/// Item 6: a freshly minted token may hold none of its permissions for a while; it still
/// verifies, and works once they propagate.
#[tokio::test]
async fn new_permissions_propagate() {
    let env = Env::with(strict(|s| s.propagation_secs = 60));
    let client = env.client();
    let groups = client
        .permission_groups(&Owner::User, &PermissionGroupFilter::default())
        .await
        .unwrap();
    let perms = Preset::find("manager").unwrap().resolve(&groups).unwrap();
    let user = client.user_id().await.unwrap();
    let policies = build_policies(&perms, &["*".into()], &["*".into()], Some(&user)).unwrap();
    let (_, value) = client
        .create_token(&Owner::User, &NewToken::new("manager", policies))
        .await
        .unwrap();
    let fresh = env.client_as(value.expose_secret());
    assert!(
        client
            .verify(&value, None)
            .await
            .unwrap()
            .status
            .is_active()
    );
    let e = fresh.list_tokens(&Owner::User).await.unwrap_err();
    let text = env.check(&e);
    assert_eq!(e.code(), "missing_permission", "{text}");
    env.fake.advance_clock(61);
    fresh.list_tokens(&Owner::User).await.unwrap();
    assert_eq!(
        fresh.zones_by_name("example.com").await.unwrap().len(),
        1,
        "the manager preset resolves zone names"
    );
}
