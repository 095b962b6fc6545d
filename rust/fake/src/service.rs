//! The two APIs' behaviour over the fake's state: what each operation answers, in the shapes and
//! with the error encodings of the real services (restJson1, `x-amzn-ErrorType`). The
//! authorization-code grant (the `/authorize` page and its exchange) is in [`authorization_code`].

mod authorization_code;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::config::{Approval, FakeAccount, FakeConfig};
use crate::rng::{Rng, BASE64ISH, LETTERS, UPPER_ALNUM};
use crate::{Counters, IssuedCredentials};
use authorization_code::IssuedCode;

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const REFRESH_TOKEN_GRANT: &str = "refresh_token";
const AUTHORIZATION_CODE_GRANT: &str = "authorization_code";

/// An HTTP answer before it is encoded.
pub struct Reply {
    pub status: u16,
    pub error_type: Option<&'static str>,
    /// When a throttled client may try again (sent as `Retry-After` and `x-amz-retry-after`).
    pub retry_after: Option<Duration>,
    /// Where a redirect sends the browser (`Location`).
    pub location: Option<String>,
    pub content_type: &'static str,
    pub body: String,
}

impl Reply {
    pub fn json(body: Value) -> Reply {
        Reply {
            status: 200,
            error_type: None,
            retry_after: None,
            location: None,
            content_type: "application/json",
            body: body.to_string(),
        }
    }

    pub fn html(status: u16, text: &str) -> Reply {
        Reply {
            status,
            error_type: None,
            retry_after: None,
            location: None,
            content_type: "text/html; charset=utf-8",
            body: format!("<!doctype html><title>{text}</title><p>{text}</p>"),
        }
    }

    /// A `302 Found` to `location`, as a sign-in page sends the browser back to the client.
    pub fn redirect(location: String) -> Reply {
        Reply { location: Some(location), ..Reply::html(302, "Redirecting") }
    }

    /// An SSO portal error: `{"message": ...}`.
    pub fn portal_error(status: u16, error_type: &'static str, message: &str) -> Reply {
        Reply {
            status,
            error_type: Some(error_type),
            retry_after: None,
            location: None,
            content_type: "application/json",
            body: json!({ "message": message }).to_string(),
        }
    }

    /// An SSO-OIDC error: `{"error": "...", "error_description": ...}` as the service sends them.
    pub fn oidc_error(status: u16, error_type: &'static str, error: &str, description: &str) -> Reply {
        Reply {
            status,
            error_type: Some(error_type),
            retry_after: None,
            location: None,
            content_type: "application/json",
            body: json!({ "error": error, "error_description": description }).to_string(),
        }
    }
}

struct Client {
    secret: String,
    expires: SystemTime,
    /// The grant types it was registered for; none named means the device code only.
    grants: Vec<String>,
    redirect_uris: Vec<String>,
    scopes: Vec<String>,
}

impl Client {
    fn has_grant(&self, grant: &str) -> bool {
        self.grants.iter().any(|g| g == grant)
    }

    fn may_use_device_code(&self) -> bool {
        self.grants.is_empty() || self.has_grant(DEVICE_CODE_GRANT)
    }
}

struct Device {
    client_id: String,
    user_code: String,
    expires: Instant,
    approved: bool,
    denied: bool,
    redeemed: bool,
    polls: u32,
    last_poll: Option<Instant>,
}

struct RefreshGrant {
    client_id: String,
    expires: Instant,
}

pub struct State {
    config: FakeConfig,
    base_url: String,
    rng: Rng,
    accounts: Vec<FakeAccount>,
    forbidden: HashSet<(String, String)>,
    clients: HashMap<String, Client>,
    devices: HashMap<String, Device>,
    /// Authorization codes handed out by `/authorize` and not yet exchanged.
    codes: HashMap<String, IssuedCode>,
    access_tokens: HashMap<String, Instant>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    issued: HashMap<(String, String), IssuedCredentials>,
    /// GetRoleCredentials calls answered 429 so far per (account, role), for `throttle_first_attempts`.
    refused: HashMap<(String, String), u32>,
    slow_downs_left: u32,
    pub counters: Counters,
}

/// Why a registration is refused, if it is: a grant type the service does not know, or an
/// authorization-code client without loopback (or https) redirect URIs or an issuer URL.
fn check_registration(grants: &[String], redirect_uris: &[String], issuer_url: Option<&str>) -> Option<Reply> {
    let invalid = |error_type, error, description: &str| Some(Reply::oidc_error(400, error_type, error, description));
    if let Some(unknown) = grants
        .iter()
        .find(|g| ![DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT, AUTHORIZATION_CODE_GRANT].contains(&g.as_str()))
    {
        return invalid(
            "InvalidClientMetadataException",
            "invalid_client_metadata",
            &format!("Unsupported grant type {unknown}"),
        );
    }
    if !grants.iter().any(|g| g == AUTHORIZATION_CODE_GRANT) {
        return None;
    }
    if redirect_uris.is_empty() {
        return invalid(
            "InvalidRequestException",
            "invalid_request",
            "redirectUris is required for authorization_code",
        );
    }
    if redirect_uris.iter().any(|uri| !authorization_code::acceptable_redirect_uri(uri)) {
        return invalid(
            "InvalidRedirectUriException",
            "invalid_redirect_uri",
            "Redirect URIs must be loopback http or https",
        );
    }
    if issuer_url.is_none_or(str::is_empty) {
        return invalid("InvalidRequestException", "invalid_request", "issuerUrl is required for authorization_code");
    }
    None
}

fn epoch_seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl State {
    pub fn new(config: FakeConfig, base_url: String) -> State {
        State {
            rng: Rng::new(config.seed),
            accounts: config.accounts.clone(),
            forbidden: config.forbidden.iter().cloned().collect(),
            slow_downs_left: config.slow_down_polls,
            config,
            base_url,
            clients: HashMap::new(),
            devices: HashMap::new(),
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            issued: HashMap::new(),
            refused: HashMap::new(),
            counters: Counters::default(),
        }
    }

    pub fn config(&self) -> &FakeConfig {
        &self.config
    }

    pub fn random_fraction(&mut self) -> f64 {
        self.rng.fraction()
    }

    /// Whether this GetRoleCredentials call is one of the first `throttle_first_attempts` for its
    /// account and role (and so answered 429).
    pub fn refuse_early(&mut self, account_id: Option<&str>, role_name: Option<&str>) -> bool {
        let first = self.config.throttle_first_attempts;
        let key = (account_id.unwrap_or_default().to_string(), role_name.unwrap_or_default().to_string());
        let refused = self.refused.entry(key).or_insert(0);
        *refused += 1;
        *refused <= first
    }

    // ---- SSO-OIDC ----

    pub fn register_client(&mut self, body: &Value) -> Reply {
        let Some(name) = body["clientName"].as_str().filter(|n| !n.is_empty()) else {
            return Reply::oidc_error(400, "InvalidRequestException", "invalid_request", "clientName is required");
        };
        if body["clientType"].as_str() != Some("public") {
            return Reply::oidc_error(
                400,
                "InvalidClientMetadataException",
                "invalid_client_metadata",
                "clientType must be public",
            );
        }
        let _ = name;
        let strings = |field: &str| -> Vec<String> {
            body[field]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                .unwrap_or_default()
        };
        let (grants, redirect_uris, scopes) = (strings("grantTypes"), strings("redirectUris"), strings("scopes"));
        if let Some(refused) = check_registration(&grants, &redirect_uris, body["issuerUrl"].as_str()) {
            return refused;
        }
        let client_id = format!("client-{}", self.rng.string(BASE64ISH, 22).replace(['+', '/'], "x"));
        let secret = self.rng.string(BASE64ISH, 120);
        let issued = SystemTime::now();
        let expires = issued + self.config.registration_ttl;
        self.clients
            .insert(client_id.clone(), Client { secret: secret.clone(), expires, grants, redirect_uris, scopes });
        Reply::json(json!({
            "clientId": client_id,
            "clientSecret": secret,
            "clientIdIssuedAt": epoch_seconds(issued),
            "clientSecretExpiresAt": epoch_seconds(expires),
        }))
    }

    fn check_client(&self, body: &Value) -> Result<String, Reply> {
        let id = body["clientId"].as_str().unwrap_or_default();
        match self.clients.get(id) {
            Some(c) if Some(c.secret.as_str()) == body["clientSecret"].as_str() && c.expires > SystemTime::now() => {
                Ok(id.to_string())
            }
            _ => Err(Reply::oidc_error(
                401,
                "InvalidClientException",
                "invalid_client",
                "Invalid client or client secret",
            )),
        }
    }

    pub fn start_device_authorization(&mut self, body: &Value) -> Reply {
        let client_id = match self.check_client(body) {
            Ok(id) => id,
            Err(reply) => return reply,
        };
        if body["startUrl"].as_str().is_none_or(|u| u.is_empty()) {
            return Reply::oidc_error(400, "InvalidRequestException", "invalid_request", "startUrl is required");
        }
        if !self.clients.get(&client_id).is_some_and(Client::may_use_device_code) {
            return Reply::oidc_error(
                400,
                "UnauthorizedClientException",
                "unauthorized_client",
                "The client is not registered for the device code grant",
            );
        }
        let device_code = self.rng.string(BASE64ISH, 64);
        let user_code = format!("{}-{}", self.rng.string(LETTERS, 4), self.rng.string(LETTERS, 4));
        let ttl = self.config.device_code_ttl;
        self.devices.insert(
            device_code.clone(),
            Device {
                client_id,
                user_code: user_code.clone(),
                expires: Instant::now() + ttl,
                approved: false,
                denied: false,
                redeemed: false,
                polls: 0,
                last_poll: None,
            },
        );
        Reply::json(json!({
            "deviceCode": device_code,
            "userCode": user_code,
            "verificationUri": format!("{}/device", self.base_url),
            "verificationUriComplete": format!("{}/device?user_code={user_code}", self.base_url),
            "expiresIn": ttl.as_secs().clamp(1, i32::MAX as u64),
            "interval": self.config.interval_seconds,
        }))
    }

    /// What a browser does with `verificationUriComplete`: approve (or deny) that login.
    pub fn visit_verification_page(&mut self, user_code: &str) -> Reply {
        let approval = self.config.approval;
        let Some(device) = self.devices.values_mut().find(|d| d.user_code == user_code) else {
            return Reply::html(404, "Unknown code");
        };
        match approval {
            Approval::Deny => {
                device.denied = true;
                Reply::html(200, "Request denied")
            }
            Approval::Never => Reply::html(200, "Waiting for an administrator"),
            Approval::OnVerificationGet | Approval::AfterPolls(_) => {
                device.approved = true;
                Reply::html(200, "Request approved")
            }
        }
    }

    pub fn create_token(&mut self, body: &Value) -> Reply {
        match body["grantType"].as_str() {
            Some(DEVICE_CODE_GRANT) => {
                self.counters.create_token += 1;
                match self.check_client(body) {
                    Ok(client_id) => {
                        self.device_code_grant(&client_id, body["deviceCode"].as_str().unwrap_or_default())
                    }
                    Err(reply) => reply,
                }
            }
            Some(AUTHORIZATION_CODE_GRANT) => {
                self.counters.create_token_authorization_code += 1;
                match self.check_client(body) {
                    Ok(client_id) => self.authorization_code_grant(&client_id, body),
                    Err(reply) => reply,
                }
            }
            Some(REFRESH_TOKEN_GRANT) => {
                self.counters.create_token_refresh += 1;
                match self.check_client(body) {
                    Ok(client_id) => {
                        self.refresh_token_grant(&client_id, body["refreshToken"].as_str().unwrap_or_default())
                    }
                    Err(reply) => reply,
                }
            }
            _ => Reply::oidc_error(
                400,
                "UnsupportedGrantTypeException",
                "unsupported_grant_type",
                "Unsupported grant type",
            ),
        }
    }

    fn device_code_grant(&mut self, client_id: &str, device_code: &str) -> Reply {
        let interval = Duration::from_secs(self.config.interval_seconds.max(0) as u64);
        let (enforce, approval) = (self.config.enforce_interval, self.config.approval);
        let now = Instant::now();
        let Some(device) = self.devices.get_mut(device_code).filter(|d| d.client_id == client_id && !d.redeemed) else {
            return Reply::oidc_error(400, "InvalidGrantException", "invalid_grant", "Invalid device code provided");
        };
        if now >= device.expires {
            return Reply::oidc_error(400, "ExpiredTokenException", "expired_token", "Device code has expired");
        }
        device.polls += 1;
        let too_soon = enforce
            && device.last_poll.is_some_and(|last| now.duration_since(last) + Duration::from_millis(50) < interval);
        device.last_poll = Some(now);
        if self.slow_downs_left > 0 || too_soon {
            self.slow_downs_left = self.slow_downs_left.saturating_sub(1);
            self.counters.slow_down += 1;
            return Reply::oidc_error(400, "SlowDownException", "slow_down", "Client is polling too quickly");
        }
        // Deny answers as if the user had pressed "Deny", whether or not the page was opened.
        if device.denied || approval == Approval::Deny {
            return Reply::oidc_error(400, "AccessDeniedException", "access_denied", "The user denied the request");
        }
        if let Approval::AfterPolls(k) = approval {
            device.approved |= device.polls >= k;
        }
        if !device.approved {
            return Reply::oidc_error(
                400,
                "AuthorizationPendingException",
                "authorization_pending",
                "Authorization is still pending",
            );
        }
        device.redeemed = true;
        self.issue_token(client_id)
    }

    fn refresh_token_grant(&mut self, client_id: &str, refresh_token: &str) -> Reply {
        match self.refresh_tokens.remove(refresh_token) {
            Some(grant) if grant.client_id == client_id && grant.expires > Instant::now() => {
                self.issue_token(client_id)
            }
            Some(grant) => {
                // Not this client's, or expired: leave it as it was.
                self.refresh_tokens.insert(refresh_token.to_string(), grant);
                Reply::oidc_error(400, "InvalidGrantException", "invalid_grant", "Invalid refresh token provided")
            }
            None => Reply::oidc_error(400, "InvalidGrantException", "invalid_grant", "Invalid refresh token provided"),
        }
    }

    fn issue_token(&mut self, client_id: &str) -> Reply {
        let access_token = format!("aoa{}", self.rng.string(BASE64ISH, 180));
        self.access_tokens.insert(access_token.clone(), Instant::now() + self.config.access_token_ttl);
        let mut answer = json!({
            "accessToken": access_token,
            "tokenType": "Bearer",
            // The SDKs read expiresIn as a 32-bit integer.
            "expiresIn": self.config.access_token_ttl.as_secs().min(i32::MAX as u64),
        });
        if self.clients.get(client_id).is_some_and(|c| c.has_grant(REFRESH_TOKEN_GRANT)) {
            let refresh_token = format!("aor{}", self.rng.string(BASE64ISH, 180));
            let expires = Instant::now() + self.config.refresh_token_ttl;
            self.refresh_tokens
                .insert(refresh_token.clone(), RefreshGrant { client_id: client_id.to_string(), expires });
            answer["refreshToken"] = json!(refresh_token);
        }
        Reply::json(answer)
    }

    // ---- SSO portal ----

    /// 401 unless the bearer token is one this fake issued and it has not expired.
    pub fn check_bearer(&mut self, token: Option<&str>) -> Result<(), Reply> {
        match token.and_then(|t| self.access_tokens.get(t)) {
            Some(expires) if *expires > Instant::now() => Ok(()),
            _ => {
                self.counters.unauthorized += 1;
                Err(Reply::portal_error(401, "UnauthorizedException", "Session token not found or invalid"))
            }
        }
    }

    pub fn get_role_credentials(&mut self, account_id: Option<&str>, role_name: Option<&str>) -> Reply {
        let (Some(account_id), Some(role_name)) = (account_id, role_name) else {
            return Reply::portal_error(400, "InvalidRequestException", "account_id and role_name are required");
        };
        let Some(account) = self.accounts.iter().find(|a| a.account_id == account_id) else {
            return Reply::portal_error(404, "ResourceNotFoundException", "Account not found");
        };
        let key = (account_id.to_string(), role_name.to_string());
        if !account.roles.iter().any(|r| r == role_name) || self.forbidden.contains(&key) {
            return Reply::portal_error(403, "ForbiddenException", "No access");
        }
        let expiration = SystemTime::now() + self.config.credential_ttl;
        let credentials = IssuedCredentials {
            access_key_id: format!("ASIA{}", self.rng.string(UPPER_ALNUM, 16)),
            secret_access_key: self.rng.string(BASE64ISH, 40),
            session_token: format!("IQoJb3JpZ2luX2Vj{}", self.rng.string(BASE64ISH, 400)),
            expiration_epoch_millis: expiration.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64),
        };
        let answer = json!({ "roleCredentials": {
            "accessKeyId": credentials.access_key_id,
            "secretAccessKey": credentials.secret_access_key,
            "sessionToken": credentials.session_token,
            "expiration": credentials.expiration_epoch_millis,
        }});
        self.issued.insert(key, credentials);
        Reply::json(answer)
    }

    pub fn list_accounts(&self, next_token: Option<&str>, max_result: Option<&str>) -> Reply {
        let items: Vec<Value> = self
            .accounts
            .iter()
            .map(|a| json!({"accountId": a.account_id, "accountName": a.account_name, "emailAddress": a.email_address}))
            .collect();
        self.page("accountList", items, next_token, max_result)
    }

    pub fn list_account_roles(
        &self,
        account_id: Option<&str>,
        next_token: Option<&str>,
        max_result: Option<&str>,
    ) -> Reply {
        let Some(account) = self.accounts.iter().find(|a| Some(a.account_id.as_str()) == account_id) else {
            return Reply::portal_error(404, "ResourceNotFoundException", "Account not found");
        };
        let items = account.roles.iter().map(|r| json!({"roleName": r, "accountId": account.account_id})).collect();
        self.page("roleList", items, next_token, max_result)
    }

    fn page(&self, field: &str, items: Vec<Value>, next_token: Option<&str>, max_result: Option<&str>) -> Reply {
        let start = match next_token.map(|t| t.strip_prefix("page-").and_then(|n| n.parse::<usize>().ok())) {
            None => 0,
            Some(Some(n)) if n <= items.len() => n,
            Some(_) => return Reply::portal_error(400, "InvalidRequestException", "Invalid nextToken"),
        };
        let size =
            max_result.and_then(|m| m.parse::<usize>().ok()).unwrap_or(usize::MAX).clamp(1, self.config.page_size);
        let end = (start + size).min(items.len());
        let mut answer = json!({ field: items[start..end] });
        if end < items.len() {
            answer["nextToken"] = json!(format!("page-{end}"));
        }
        Reply::json(answer)
    }

    pub fn logout(&mut self, token: &str) -> Reply {
        self.access_tokens.remove(token);
        Reply { body: String::new(), ..Reply::json(json!({})) }
    }

    // ---- test controls ----

    pub fn issued(&self, account_id: &str, role_name: &str) -> Option<IssuedCredentials> {
        self.issued.get(&(account_id.to_string(), role_name.to_string())).cloned()
    }

    pub fn issued_count(&self) -> usize {
        self.issued.len()
    }

    pub fn expire_access_tokens(&mut self) {
        self.access_tokens.clear();
    }

    pub fn expire_registrations(&mut self) {
        for client in self.clients.values_mut() {
            client.expires = UNIX_EPOCH;
        }
    }

    pub fn forbid(&mut self, account_id: &str, role_name: &str) {
        self.forbidden.insert((account_id.to_string(), role_name.to_string()));
    }

    pub fn remove_role(&mut self, account_id: &str, role_name: &str) {
        for account in self.accounts.iter_mut().filter(|a| a.account_id == account_id) {
            account.roles.retain(|r| r != role_name);
        }
    }
}
