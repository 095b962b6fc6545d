//! Every account without a hand-kept list: discovery of accounts and roles, and profile naming.

mod common;

use common::*;
use fake_identity_center::{FakeAccount, FakeConfig};
use serde_json::{json, Value};

fn profiles_named(result: &Value) -> Vec<String> {
    result["profiles"].as_array().unwrap().iter().map(|p| p["profile"].as_str().unwrap().to_string()).collect()
}

fn account(id: &str, name: &str, roles: &[&str]) -> FakeAccount {
    FakeAccount {
        account_id: id.into(),
        account_name: name.into(),
        email_address: format!("{name}@example.com"),
        roles: roles.iter().map(|r| r.to_string()).collect(),
    }
}

#[test]
fn discovery_follows_pagination_and_lists_every_role() {
    let s = scenario(FakeConfig { page_size: 20, ..FakeConfig::with_generated_accounts(45, &["ReadOnly", "Admin"]) });
    login("Discover");
    let result = ok("ssocreds_discover", json!({"environment": "Discover"}));
    let accounts = result["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 45);
    assert_eq!(
        accounts[0],
        json!({"accountId": "100000000000", "accountName": "account-0001", "emailAddress": "account-0001@example.com", "roles": ["Admin", "ReadOnly"]})
    );
    assert_eq!(accounts[44]["accountId"], "100000000044");
    let counters = s.fake.counters();
    assert_eq!(counters.list_accounts, 3, "45 accounts in pages of 20");
    assert_eq!(counters.list_account_roles, 45);

    let filtered = ok(
        "ssocreds_discover",
        json!({"environment": "Discover", "includeAccount": ["account-000*", "100000000044"], "excludeAccount": ["ACCOUNT-0003"], "includeRole": ["read*"]}),
    );
    let ids: Vec<&str> =
        filtered["accounts"].as_array().unwrap().iter().map(|a| a["accountId"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "100000000000",
            "100000000001",
            "100000000003",
            "100000000004",
            "100000000005",
            "100000000006",
            "100000000007",
            "100000000008",
            "100000000044"
        ]
    );
    assert!(filtered["accounts"].as_array().unwrap().iter().all(|a| a["roles"] == json!(["ReadOnly"])));
}

#[test]
fn refresh_with_discovery_writes_every_account_and_role_and_a_second_run_fetches_nothing() {
    let s = scenario(FakeConfig::with_generated_accounts(30, &["ReadOnly", "Admin"]));
    let file = s.home.path().join("credentials");
    login("All");
    let result = ok("ssocreds_refresh", json!({"environment": "All", "discover": true, "credentialsFile": file}));
    let names = profiles_named(&result);
    assert_eq!(names.len(), 60);
    assert!(names.contains(&"account-0001.ReadOnly".to_string()) && names.contains(&"account-0030.Admin".to_string()));
    assert!(result["profiles"].as_array().unwrap().iter().all(|p| p["status"] == "refreshed"), "{result}");
    let written = read_profiles(&file);
    let issued = s.fake.issued_credentials("100000000029", "Admin").unwrap();
    assert_eq!(written["account-0030.Admin"]["aws_access_key_id"], issued.access_key_id);

    s.fake.reset_counters();
    let again = ok("ssocreds_refresh", json!({"environment": "All", "discover": true, "credentialsFile": file}));
    assert!(again["profiles"].as_array().unwrap().iter().all(|p| p["status"] == "current"));
    let counters = s.fake.counters();
    assert_eq!(
        (counters.get_role_credentials, counters.list_accounts, counters.list_account_roles),
        (0, 0, 0),
        "no call at all on the second run: the listing kept beside the token is reused"
    );

    let template = ok(
        "ssocreds_refresh",
        json!({"environment": "All", "discover": true, "credentialsFile": file, "includeRole": ["ReadOnly"], "includeAccount": ["account-0001"], "profileNameTemplate": "{AccountId}-{RoleName}", "dryRun": true}),
    );
    assert_eq!(profiles_named(&template), ["100000000000-ReadOnly"]);
    assert_eq!(template["profiles"][0]["status"], "wouldRefresh");
}

#[test]
fn name_collisions_are_resolved_deterministically_reported_and_never_overwrite() {
    let config = FakeConfig {
        accounts: vec![
            account("111111111111", "dup", &["ReadOnly"]),
            account("222222222222", "dup", &["ReadOnly"]),
            account("333333333333", "Team [A]", &["ReadOnly", "Admin"]),
        ],
        ..FakeConfig::default()
    };
    let s = scenario(config);
    let file = s.home.path().join("credentials");
    login("Clash");
    // An explicit profile already has the name the template makes for (333333333333, ReadOnly).
    let explicit = json!([{"profile": "Team-A.ReadOnly", "accountId": "333333333333", "roleName": "Admin"}]);
    let result = ok(
        "ssocreds_refresh",
        json!({"environment": "Clash", "discover": true, "accounts": explicit, "credentialsFile": file}),
    );
    let mut names = profiles_named(&result);
    names.sort();
    assert_eq!(
        names,
        ["Team-A.ReadOnly", "Team-A.ReadOnly-333333333333", "dup.ReadOnly-111111111111", "dup.ReadOnly-222222222222"]
    );
    let renamed = result["renamed"].as_array().unwrap();
    assert_eq!(renamed.len(), 3, "{result}");
    assert!(renamed.contains(&json!({"wanted": "Team-A.ReadOnly", "profile": "Team-A.ReadOnly-333333333333", "accountId": "333333333333", "roleName": "ReadOnly"})));
    assert!(renamed.contains(&json!({"wanted": "dup.ReadOnly", "profile": "dup.ReadOnly-111111111111", "accountId": "111111111111", "roleName": "ReadOnly"})));
    let written = read_profiles(&file);
    assert_eq!(written["Team-A.ReadOnly"]["aws_sso_role_name"], "Admin", "the explicit profile keeps its role");
    assert_eq!(written["Team-A.ReadOnly-333333333333"]["aws_sso_role_name"], "ReadOnly");
    assert_eq!(s.fake.counters().get_role_credentials, 4, "(333333333333, Admin) is not fetched twice");
}

#[test]
fn a_role_that_disappears_between_listing_and_fetching_fails_alone() {
    let s = scenario(FakeConfig::with_generated_accounts(6, &["ReadOnly"]));
    let file = s.home.path().join("credentials");
    login("Vanish");
    let listed = ok("ssocreds_discover", json!({"environment": "Vanish"}));
    s.fake.remove_role("100000000002", "ReadOnly");
    let accounts: Vec<Value> = listed["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!({"accountId": a["accountId"], "accountName": a["accountName"], "roleName": a["roles"][0]}))
        .collect();
    let result =
        ok("ssocreds_refresh", json!({"environment": "Vanish", "accounts": accounts, "credentialsFile": file}));
    let failed: Vec<&Value> =
        result["profiles"].as_array().unwrap().iter().filter(|p| p["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{result}");
    assert_eq!(failed[0]["profile"], "account-0003.ReadOnly");
    assert_eq!(failed[0]["error"]["code"], "Forbidden");
    assert_eq!(read_profiles(&file).len(), 5);
}

#[test]
fn bad_discovery_input_is_refused_before_anything_is_sent() {
    let s = scenario(FakeConfig::with_generated_accounts(1, &["ReadOnly"]));
    login("BadDiscovery");
    for (request, mentions) in [
        (
            json!({"environment": "BadDiscovery", "discover": true, "profileNameTemplate": "{Account}"}),
            "profileNameTemplate",
        ),
        (json!({"environment": "BadDiscovery", "discover": true, "includeAccount": [""]}), "includeAccount"),
        (json!({"environment": "BadDiscovery", "discover": true, "includeRole": "ReadOnly"}), "sequence"),
    ] {
        let envelope = call("ssocreds_refresh", request);
        assert_eq!(error_code(&envelope), "InvalidInput");
        assert!(envelope["error"]["message"].as_str().unwrap().contains(mentions), "{envelope}");
    }
    assert_eq!(s.fake.counters().list_accounts, 0);
}

#[test]
fn discover_takes_the_request_refresh_takes() {
    let mut config = FakeConfig::with_generated_accounts(3, &["ReadOnly", "Admin"]);
    config.accounts.push(account("999999999999", "no-mail", &["ReadOnly"]));
    config.accounts[3].email_address = String::new();
    let s = scenario(config);
    let file = s.home.path().join("credentials");
    login("Base");
    // One base request for both calls, as the module builds it.
    let base = json!({
        "environment": "Base", "accounts": [{"profile": "p", "accountId": "100000000000", "roleName": "ReadOnly"}],
        "defaultRoleName": "Admin", "region": REGION, "startUrl": START_URL, "credentialsFile": file, "force": true,
        "maxConcurrency": 4, "minValiditySeconds": 600, "dryRun": true, "noTokenFile": false, "discover": true,
        "profileNameTemplate": "{AccountId}.{RoleName}", "includeAccount": ["*"], "excludeAccount": ["100000000001"],
        "includeRole": ["ReadOnly"]
    });
    let listed = ok("ssocreds_discover", base.clone());
    let accounts = listed["accounts"].as_array().unwrap();
    let ids: Vec<&str> = accounts.iter().map(|a| a["accountId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["100000000000", "100000000002", "999999999999"], "the filters apply: {listed}");
    assert!(accounts.iter().all(|a| a["roles"] == json!(["ReadOnly"])));
    assert_eq!(accounts[2]["emailAddress"], Value::Null, "an absent email address is null, not \"\"");
    assert!(!file.exists(), "discover writes no credentials");
    let planned = ok("ssocreds_refresh", base.clone());
    assert_eq!(profiles_named(&planned).len(), 3, "{planned}");

    let mut bad = base.clone();
    bad["region"] = json!("not a region");
    assert_eq!(error_code(&call("ssocreds_discover", bad)), "InvalidInput", "region is checked as refresh checks it");
    let mut unknown = base;
    unknown["notAField"] = json!(1);
    assert_eq!(error_code(&call("ssocreds_discover", unknown)), "InvalidInput", "unknown fields are still refused");
}

#[test]
fn the_modules_all_accounts_run_makes_no_call_once_every_profile_is_current() {
    let s = scenario(FakeConfig::with_generated_accounts(8, &["ReadOnly", "Admin"]));
    let file = s.home.path().join("credentials");
    login("Module");
    // What Set-AwsCliSsoCredentials -AllAccounts does: a dry run with discovery to plan, then a
    // fetch of the profiles that need it, by name and without discovery.
    let run = || {
        let plan = ok(
            "ssocreds_refresh",
            json!({"environment": "Module", "discover": true, "dryRun": true, "credentialsFile": file}),
        );
        let due: Vec<Value> = plan["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == "wouldRefresh")
            .map(|p| json!({"profile": p["profile"], "accountId": p["accountId"], "roleName": p["roleName"]}))
            .collect();
        if !due.is_empty() {
            ok("ssocreds_refresh", json!({"environment": "Module", "accounts": due, "credentialsFile": file}));
        }
        due.len()
    };
    assert_eq!(run(), 16);
    s.fake.reset_counters();
    assert_eq!(run(), 0);
    let counters = s.fake.counters();
    assert_eq!(
        counters.list_accounts
            + counters.list_account_roles
            + counters.get_role_credentials
            + counters.create_token_refresh,
        0,
        "{counters:?}"
    );
}
