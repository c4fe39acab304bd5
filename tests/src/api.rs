//! The console's REST API as a client sees it: JSON in, status and JSON out,
//! with a user's bearer token.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cluster::{Endpoint, User};
use crate::console::Console;

pub struct ApiClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// An answer: status and body (problem documents included).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// The body, after checking the status; panics with the problem otherwise.
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected answer: {:#}", self.body);
        self.body
    }

    /// The `errors[]` of a problem as `(field, code)` pairs.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body
            .get("errors")
            .and_then(Value::as_array)
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (e["field"].as_str().unwrap_or("").to_owned(), e["code"].as_str().unwrap_or("").to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl ApiClient {
    pub fn new(console: &Console, endpoint: &Endpoint, user: User) -> Self {
        Self { base: console.url("/api/v1"), token: endpoint.token(user).to_owned(), http: reqwest::Client::new() }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body)).await
    }

    /// `POST /plans`: the preview.
    pub async fn preview(&self, request: Value) -> Answer {
        self.post("/plans", &request).await
    }

    /// `POST /plans/{id}/apply` with the given confirmations.
    pub async fn apply(&self, plan_id: &str, confirm: &[&str]) -> Answer {
        self.post(&format!("/plans/{plan_id}/apply"), &json!({ "confirm": confirm })).await
    }

    /// Preview then apply, confirming every danger; panics unless both succeed.
    pub async fn preview_and_apply(&self, request: Value) -> (Value, Value) {
        let plan = self.preview(request).await.expect(201);
        let dangers: Vec<String> = plan["dangers"]
            .as_array()
            .map(|dangers| dangers.iter().filter_map(|d| d["code"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let confirm: Vec<&str> = dangers.iter().map(String::as_str).collect();
        let id = plan["id"].as_str().expect("plan id").to_owned();
        let result = self.apply(&id, &confirm).await.expect(200);
        assert_eq!(result["succeeded"], true, "apply failed: {result:#}");
        (plan, result)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response =
            request.bearer_auth(&self.token).send().await.unwrap_or_else(|e| panic!("the console did not answer: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }
}
