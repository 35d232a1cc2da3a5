//! The `Strict` switches (cfsecret issue 12): each behaviour on, and off where it is on by
//! default. Sources are in `src/strict.rs`.

use fake_cloudflare::{Config, FakeCloudflare, Resource, Strict, TokenSpec};
use serde_json::{Value, json};

use crate::common::{API_TOKENS_WRITE, Api, Auth, DNS_WRITE, all_zones, token_body};

fn start(f: impl FnOnce(&mut Strict)) -> FakeCloudflare {
    let mut c = Config::default();
    f(&mut c.strict);
    FakeCloudflare::start_with(c)
}

#[tokio::test]
async fn missing_permission_is_9109_unless_lax() {
    for (strict, code, message) in [
        (
            Strict::default(),
            9109,
            "Unauthorized to access requested resource",
        ),
        (Strict::lax(), 10000, "Authentication error"),
    ] {
        let fake = start(|s| *s = strict.clone());
        let api = Api::new(&fake);
        let dns = fake.mint(TokenSpec::user("dns").permission("DNS Write", Resource::AllZones));
        api.get("/user/tokens", Auth::Bearer(&dns.secret))
            .await
            .assert_error(403, code, message);
    }
}

#[tokio::test]
async fn minimal_manager_sees_no_zones_no_accounts_and_no_user() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let minimal = fake.minimal_manager_token();
    let zones = api.get("/zones", Auth::Bearer(&minimal)).await.result();
    assert_eq!(zones, json!([]));
    let accounts = api.get("/accounts", Auth::Bearer(&minimal)).await.result();
    assert_eq!(accounts, json!([]));
    api.get("/user", Auth::Bearer(&minimal)).await.assert_error(
        403,
        9109,
        "Unauthorized to access requested resource",
    );
    // It may still manage the user's tokens.
    let r = api
        .post(
            "/user/tokens",
            Auth::Bearer(&minimal),
            token_body("dns", DNS_WRITE, all_zones()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The Global API Key reads the user; the bootstrap token sees its account.
    let (email, key) = fake.global_api_key();
    let user = api.get("/user", Auth::Global(&email, &key)).await.result();
    assert_eq!(user["id"], fake.user_id());
    let accounts = api
        .get("/accounts", Auth::Bearer(&fake.bootstrap_token()))
        .await
        .result();
    assert_eq!(accounts.as_array().unwrap().len(), 1);
    // Lax: any user token lists every account.
    let lax = start(|s| *s = Strict::lax());
    let accounts = Api::new(&lax)
        .get("/accounts", Auth::Bearer(&lax.minimal_manager_token()))
        .await
        .result();
    assert_eq!(accounts.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn common_permission_check_on_single_zone_keys() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let account = fake.account_id();
    let zone = fake.zone_id("example.com").unwrap();
    let manager = fake.mint(TokenSpec::account("m", &account).permission(
        "Account API Tokens Write",
        Resource::Account(account.clone()),
    ));
    let path = format!("/accounts/{account}/tokens");
    let flat = json!({ format!("com.cloudflare.api.account.zone.{zone}"): "*" });
    api.post(
        &path,
        Auth::Bearer(&manager.secret),
        token_body("f", DNS_WRITE, flat),
    )
    .await
    .assert_error(
        400,
        1001,
        "Failed common permission check against resources. (Permission group: \"DNS Write\")",
    );
    let nested = json!({ format!("com.cloudflare.api.account.{account}"):
        { format!("com.cloudflare.api.account.zone.{zone}"): "*" } });
    let r = api
        .post(
            &path,
            Auth::Bearer(&manager.secret),
            token_body("n", DNS_WRITE, nested),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn null_results_on_delete_and_empty_pages() {
    let fake = start(|s| s.null_results = true);
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    let r = api
        .post(
            "/user/tokens",
            Auth::Bearer(&boot),
            token_body("x", DNS_WRITE, all_zones()),
        )
        .await
        .result();
    let id = r["id"].as_str().unwrap();
    let gone = api
        .delete(&format!("/user/tokens/{id}"), Auth::Bearer(&boot))
        .await;
    assert_eq!(gone.json()["result"], Value::Null, "{}", gone.text);
    assert_eq!(gone.json()["success"], true);
    let page = api
        .get("/user/tokens?page=9", Auth::Bearer(&boot))
        .await
        .json();
    assert_eq!(page["result"], Value::Null);
}

#[tokio::test]
async fn legacy_account_secrets_and_403_on_user_verify() {
    let fake = start(|s| s.legacy_account_secrets = true);
    let api = Api::new(&fake);
    let account = fake.account_id();
    let t = fake.mint(
        TokenSpec::account("legacy", &account)
            .permission("Account Settings Read", Resource::Account(account.clone())),
    );
    assert_eq!(t.secret.len(), 40);
    api.get("/user/tokens/verify", Auth::Bearer(&t.secret))
        .await
        .assert_error(401, 1000, "Invalid API Token");
    let ok = api
        .get(
            &format!("/accounts/{account}/tokens/verify"),
            Auth::Bearer(&t.secret),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);

    let fake = start(|s| s.account_token_on_user_verify_403 = true);
    let api = Api::new(&fake);
    let t = fake.mint(
        TokenSpec::account("cfat", &account)
            .permission("Account Settings Read", Resource::Account(account.clone())),
    );
    assert!(t.secret.starts_with("cfat_"));
    api.get("/user/tokens/verify", Auth::Bearer(&t.secret))
        .await
        .assert_error(403, 9109, "Unauthorized to access requested resource");
}

#[tokio::test]
async fn propagation_delay_and_unknown_token_code() {
    let fake = start(|s| {
        s.propagation_secs = 60;
        s.unknown_token_code_1000 = true;
    });
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    let user = fake.user_id();
    let body = token_body(
        "m",
        API_TOKENS_WRITE,
        json!({ format!("com.cloudflare.api.user.{user}"): "*" }),
    );
    let secret = api
        .post("/user/tokens", Auth::Bearer(&boot), body)
        .await
        .result()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let verify = api.get("/user/tokens/verify", Auth::Bearer(&secret)).await;
    assert_eq!(verify.status, 200, "verify needs no permission");
    api.get("/user/tokens", Auth::Bearer(&secret))
        .await
        .assert_error(403, 9109, "Unauthorized to access requested resource");
    fake.advance_clock(60);
    assert_eq!(
        api.get("/user/tokens", Auth::Bearer(&secret)).await.status,
        200
    );
    api.get(
        "/user/tokens/0123456789abcdef0123456789abcdef",
        Auth::Bearer(&boot),
    )
    .await
    .assert_error(404, 1000, "Invalid token");
}

#[tokio::test]
async fn connections_are_counted() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let before = fake.connections();
    for _ in 0..3 {
        api.get("/user/tokens/verify", Auth::Bearer(&fake.bootstrap_token()))
            .await;
    }
    assert_eq!(
        fake.connections() - before,
        1,
        "reqwest keeps the connection alive"
    );
}
