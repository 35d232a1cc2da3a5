//! `condition.request_ip`, checked against the socket peer address.

use std::net::{Ipv6Addr, SocketAddr};

use fake_cloudflare::{Config, FakeCloudflare, Resource, TokenSpec};
use serde_json::json;

use crate::common::*;

fn zone_reader() -> TokenSpec {
    TokenSpec::user("ip").permission("Zone Read", Resource::AllZones)
}

#[tokio::test]
async fn ipv4_conditions() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let elsewhere = fake.mint(zone_reader().allow_ip("10.0.0.0/8"));
    let here = fake.mint(zone_reader().allow_ip("10.0.0.0/8").allow_ip("127.0.0.0/8"));
    let excluded = fake.mint(
        zone_reader()
            .allow_ip("127.0.0.0/8")
            .deny_ip("127.0.0.1/32"),
    );
    let not_in_only = fake.mint(zone_reader().deny_ip("10.0.0.0/8"));
    let nowhere = fake.mint(zone_reader().condition(json!({"request_ip": {"in": []}})));

    for bad in [&elsewhere, &excluded, &nowhere] {
        for path in ["/zones", "/user/tokens/verify"] {
            api.get(path, Auth::Bearer(&bad.secret)).await.assert_error(
                403,
                9109,
                "Cannot use the access token from location: 127.0.0.1",
            );
        }
    }
    for good in [&here, &not_in_only] {
        assert_eq!(
            api.get("/zones", Auth::Bearer(&good.secret)).await.status,
            200
        );
        assert_eq!(
            api.get("/user/tokens/verify", Auth::Bearer(&good.secret))
                .await
                .result()["status"],
            "active"
        );
    }
    // A refused call is not a use.
    assert_eq!(fake.token(&elsewhere.id).unwrap().last_used_on, None);
}

#[tokio::test]
async fn both_condition_spellings_are_accepted_and_request_ip_is_emitted() {
    let fake = FakeCloudflare::start();
    let api = Api::new(&fake);
    let boot = fake.bootstrap_token();
    for key in ["request_ip", "request.ip"] {
        let mut body = token_body(key, ZONE_READ, all_zones());
        body["condition"] =
            json!({key: {"in": ["127.0.0.0/8", "2400:cb00::/32"], "not_in": ["127.0.0.2/32"]}});
        let created = api
            .post("/user/tokens", Auth::Bearer(&boot), body)
            .await
            .result();
        let expected = json!({"request_ip": {"in": ["127.0.0.0/8", "2400:cb00::/32"], "not_in": ["127.0.0.2/32"]}});
        assert_eq!(created["condition"], expected);
        let secret = created["value"].as_str().unwrap();
        assert_eq!(api.get("/zones", Auth::Bearer(secret)).await.status, 200);
    }
    let mut bad = token_body("bare-ip", ZONE_READ, all_zones());
    bad["condition"] = json!({"request_ip": {"in": ["127.0.0.1"]}});
    let r = api.post("/user/tokens", Auth::Bearer(&boot), bad).await;
    assert_eq!(r.status, 400, "{}", r.text);
}

#[tokio::test]
async fn ipv6_conditions() {
    let fake = FakeCloudflare::start_with(Config {
        listen: SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
        ..Config::default()
    });
    assert!(
        fake.base_url().starts_with("http://[::1]:"),
        "{}",
        fake.base_url()
    );
    let api = Api::new(&fake);
    let v6 = fake.mint(zone_reader().allow_ip("::1/128"));
    let v4_only = fake.mint(zone_reader().allow_ip("127.0.0.0/8"));
    let other_v6 = fake.mint(zone_reader().allow_ip("2001:db8::/32"));
    assert_eq!(
        api.get("/zones", Auth::Bearer(&v6.secret)).await.status,
        200
    );
    for bad in [&v4_only, &other_v6] {
        api.get("/zones", Auth::Bearer(&bad.secret))
            .await
            .assert_error(403, 9109, "Cannot use the access token from location: ::1");
    }
}
