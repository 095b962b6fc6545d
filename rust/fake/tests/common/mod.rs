//! Helpers shared by the fake's tests: the real SDK clients pointed at a fake, with retries off,
//! and a registered OIDC client that runs the device flow.
#![allow(dead_code)]

use aws_sdk_ssooidc::operation::create_token::{CreateTokenError, CreateTokenOutput};
use aws_sdk_ssooidc::operation::start_device_authorization::StartDeviceAuthorizationOutput;
use fake_identity_center::FakeServer;

pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

pub fn sso(server: &FakeServer) -> aws_sdk_sso::Client {
    let config = aws_sdk_sso::Config::builder()
        .behavior_version(aws_sdk_sso::config::BehaviorVersion::latest())
        .region(aws_sdk_sso::config::Region::new("us-east-1"))
        .endpoint_url(server.url())
        .retry_config(aws_sdk_sso::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sso::Client::from_conf(config)
}

/// A registered OIDC client, as the product keeps one.
pub struct Login {
    pub client: aws_sdk_ssooidc::Client,
    pub id: String,
    pub secret: String,
}

pub fn oidc(server: &FakeServer) -> aws_sdk_ssooidc::Client {
    let config = aws_sdk_ssooidc::Config::builder()
        .behavior_version(aws_sdk_ssooidc::config::BehaviorVersion::latest())
        .region(aws_sdk_ssooidc::config::Region::new("us-east-1"))
        .endpoint_url(server.url())
        .retry_config(aws_sdk_ssooidc::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_ssooidc::Client::from_conf(config)
}

pub async fn register(server: &FakeServer, with_refresh_grant: bool) -> Login {
    let client = oidc(server);
    let mut request = client.register_client().client_name("flows").client_type("public").grant_types(DEVICE_GRANT);
    if with_refresh_grant {
        request = request.grant_types("refresh_token");
    }
    let registered = request.send().await.unwrap();
    assert!(registered.client_secret_expires_at > registered.client_id_issued_at);
    Login { client, id: registered.client_id.unwrap(), secret: registered.client_secret.unwrap() }
}

impl Login {
    pub async fn start(&self) -> StartDeviceAuthorizationOutput {
        self.client
            .start_device_authorization()
            .client_id(&self.id)
            .client_secret(&self.secret)
            .start_url("https://d-1234567890.awsapps.com/start")
            .send()
            .await
            .unwrap()
    }

    pub async fn poll(&self, device_code: &str) -> Result<CreateTokenOutput, CreateTokenError> {
        let request = self.client.create_token().client_id(&self.id).client_secret(&self.secret);
        request.grant_type(DEVICE_GRANT).device_code(device_code).send().await.map_err(|e| e.into_service_error())
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<CreateTokenOutput, CreateTokenError> {
        let request = self.client.create_token().client_id(&self.id).client_secret(&self.secret);
        request
            .grant_type("refresh_token")
            .refresh_token(refresh_token)
            .send()
            .await
            .map_err(|e| e.into_service_error())
    }

    /// A full login against a fake that approves on the first poll.
    pub async fn access_token(&self) -> String {
        let device = self.start().await;
        self.poll(device.device_code().unwrap()).await.unwrap().access_token.unwrap()
    }
}
