//! Pagination, quotas, permission groups, zones and accounts.

use std::collections::HashSet;

use fake_cloudflare::{Config, FakeCloudflare, Resource, TokenSpec, catalog};
use serde_json::{Value, json};

use crate::common::*;

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn token_list_pagination() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    for i in 0..24 {
        fake.mint(TokenSpec::user(&format!("t{i:02}")).permission("Zone Read", Resource::AllZones));
    }
    let mut seen = Vec::new();
    for (page, count) in [(1, 10), (2, 10), (3, 5), (4, 0)] {
        let r = api
            .get(
                &format!("/user/tokens?page={page}&per_page=10"),
                Auth::Bearer(&boot),
            )
            .await;
        let v = r.json();
        assert_eq!(
            v["result_info"],
            json!({"page": page, "per_page": 10, "count": count, "total_count": 25})
        );
        assert_eq!(v["result"].as_array().unwrap().len(), count);
        seen.extend(names(&v["result"]));
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 25);
    assert_eq!(seen[0], "bootstrap");

    let default = api.get("/user/tokens", Auth::Bearer(&boot)).await.json();
    assert_eq!(default["result_info"]["per_page"], 20);
    assert_eq!(default["result"].as_array().unwrap().len(), 20);
    let desc = api
        .get(
            "/user/tokens?per_page=50&direction=desc",
            Auth::Bearer(&boot),
        )
        .await
        .result();
    assert_eq!(names(&desc)[0], "t23");
    for bad in ["per_page=4", "per_page=51", "page=0", "page=x"] {
        let r = api
            .get(&format!("/user/tokens?{bad}"), Auth::Bearer(&boot))
            .await;
        assert_eq!(
            (r.status, r.json()["errors"][0]["code"].clone()),
            (400, json!(1001)),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn quotas() {
    let fake = FakeCloudflare::start_with(Config {
        user_token_quota: 3,
        account_token_quota: 1,
        ..Config::default()
    });
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    let body = token_body("q", ZONE_READ, all_zones());
    // The bootstrap token counts.
    for _ in 0..2 {
        assert_eq!(
            api.post("/user/tokens", Auth::Bearer(&boot), body.clone())
                .await
                .status,
            200
        );
    }
    let over = api
        .post("/user/tokens", Auth::Bearer(&boot), body.clone())
        .await;
    assert_eq!(over.status, 400, "{}", over.text);
    assert_eq!(over.json()["errors"][0]["code"], 1001);
    assert_eq!(fake.tokens().len(), 3);
    let victim = fake.active_tokens_named("q")[0].id.clone();
    fake.delete(&victim);
    assert_eq!(
        api.post("/user/tokens", Auth::Bearer(&boot), body.clone())
            .await
            .status,
        200
    );

    let acct = format!("/accounts/{}/tokens", fake.account_id());
    assert_eq!(
        api.post(&acct, Auth::Bearer(&boot), body.clone())
            .await
            .status,
        200
    );
    assert_eq!(api.post(&acct, Auth::Bearer(&boot), body).await.status, 400);
}

#[tokio::test]
async fn permission_groups_catalog_and_filters() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    let all = api
        .get("/user/tokens/permission_groups", Auth::Bearer(&boot))
        .await
        .json();
    let list = all["result"].as_array().unwrap();
    assert_eq!(list.len(), catalog::permission_groups().len());
    assert!(list.len() >= 60, "{}", list.len());
    assert_eq!(all["result_info"]["total_count"], list.len());
    let ids: HashSet<&str> = list.iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), list.len());

    let dup = api
        .get(
            "/user/tokens/permission_groups?name=Access%3A%20Apps%20and%20Policies%20Write",
            Auth::Bearer(&boot),
        )
        .await
        .result();
    let mut got: Vec<(String, String)> = dup
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().into(),
                g["scopes"][0].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "1e13c5124ca64b72b1969a67e8829049".to_string(),
                "com.cloudflare.api.account".to_string()
            ),
            (
                "959972745952452f8be2452be8cbb9f2".to_string(),
                "com.cloudflare.api.account.zone".to_string()
            ),
        ]
    );
    let one = api
        .get(
            "/user/tokens/permission_groups?name=Access%3A+Apps+and+Policies+Write&scope=com.cloudflare.api.account.zone",
            Auth::Bearer(&boot),
        )
        .await
        .result();
    assert_eq!(one.as_array().unwrap().len(), 1);
    let user_scope = api
        .get(
            "/user/tokens/permission_groups?scope=com.cloudflare.api.user",
            Auth::Bearer(&boot),
        )
        .await
        .result();
    let user_names = names(&user_scope);
    assert!(user_names.contains(&"API Tokens Read".to_string()));
    assert!(user_names.contains(&"API Tokens Write".to_string()));
    let dns = api
        .get(
            "/user/tokens/permission_groups?name=DNS%20Write",
            Auth::Bearer(&boot),
        )
        .await
        .result();
    assert_eq!(
        dns,
        json!([{"id": DNS_WRITE, "name": "DNS Write", "scopes": ["com.cloudflare.api.account.zone"]}])
    );
    let none = api
        .get(
            "/user/tokens/permission_groups?name=Nope",
            Auth::Bearer(&boot),
        )
        .await
        .result();
    assert_eq!(none, json!([]));
    // One page only: page 2 is empty so "page until empty" clients stop.
    let page2 = api
        .get(
            "/user/tokens/permission_groups?page=2&per_page=1000",
            Auth::Bearer(&boot),
        )
        .await
        .result();
    assert_eq!(page2, json!([]));
    let acct = api
        .get(
            &format!(
                "/accounts/{}/tokens/permission_groups?name=Zone%20Read",
                fake.account_id()
            ),
            Auth::Bearer(&boot),
        )
        .await
        .result();
    assert_eq!(acct[0]["id"], ZONE_READ);
}

#[tokio::test]
async fn zones_are_filtered_by_what_the_caller_may_read() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let com = fake.zone_id("example.com").unwrap();
    let acct = fake.account_id();
    let all = api
        .get("/zones", Auth::Bearer(&fake.bootstrap_token()))
        .await;
    let all_names = names(&all.result());
    assert_eq!(
        all_names,
        ["example.com", "example.org", "cell-v0.example.net"]
    );
    let one = api
        .get(
            "/zones?name=example.com",
            Auth::Bearer(&fake.bootstrap_token()),
        )
        .await
        .result();
    assert_eq!(
        one,
        json!([{"id": com, "name": "example.com", "status": "active",
                "account": {"id": acct, "name": "Example Account"}}])
    );
    let unknown = api
        .get(
            "/zones?name=nope.example",
            Auth::Bearer(&fake.bootstrap_token()),
        )
        .await;
    assert_eq!(unknown.result(), json!([]));
    assert_eq!(unknown.json()["result_info"]["total_count"], 0);

    let dns_com =
        fake.mint(TokenSpec::user("d").permission("DNS Write", Resource::Zone(com.clone())));
    assert_eq!(
        names(
            &api.get("/zones", Auth::Bearer(&dns_com.secret))
                .await
                .result()
        ),
        ["example.com"]
    );
    let nested = fake
        .mint(TokenSpec::user("n").permission("DNS Read", Resource::AccountZones(acct.clone())));
    assert_eq!(
        names(
            &api.get("/zones", Auth::Bearer(&nested.secret))
                .await
                .result()
        )
        .len(),
        3
    );
    let account_only = fake
        .mint(TokenSpec::user("a").permission("Account Settings Read", Resource::Account(acct)));
    assert_eq!(
        api.get("/zones", Auth::Bearer(&account_only.secret))
            .await
            .result(),
        json!([])
    );
    let denied = fake.mint(
        TokenSpec::user("x")
            .permission("Zone Read", Resource::AllZones)
            .deny("Zone Read", Resource::Zone(com)),
    );
    assert_eq!(
        names(
            &api.get("/zones", Auth::Bearer(&denied.secret))
                .await
                .result()
        ),
        ["example.org", "cell-v0.example.net"]
    );
    let (email, key) = fake.global_api_key();
    let paged = api
        .get("/zones?per_page=5&page=1", Auth::Global(&email, &key))
        .await
        .json();
    assert_eq!(
        paged["result_info"],
        json!({"page": 1, "per_page": 5, "count": 3, "total_count": 3})
    );
}

#[tokio::test]
async fn accounts_list() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let expected = json!([{"id": fake.account_id(), "name": "Example Account"}]);
    assert_eq!(
        api.get("/accounts", Auth::Bearer(&fake.bootstrap_token()))
            .await
            .result(),
        expected
    );
    let (email, key) = fake.global_api_key();
    assert_eq!(
        api.get(
            "/accounts?name=Example%20Account",
            Auth::Global(&email, &key)
        )
        .await
        .result(),
        expected
    );
    assert_eq!(
        api.get("/accounts?name=Other", Auth::Global(&email, &key))
            .await
            .result(),
        json!([])
    );
}
