//! Calls to the server's REST API; errors arrive as `model::Problem`.

use model::{Msg, Problem};
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

use crate::i18n::I18n;

#[derive(Clone, Debug)]
pub enum ApiError {
    /// The server could not be reached.
    Network,
    /// The server answered with an error status, usually with a problem document.
    Http { status: u16, problem: Option<Problem> },
    /// The answer was not what this app expects.
    Decode,
}

impl ApiError {
    /// What to tell the user, in their language.
    pub fn describe(&self, i18n: I18n) -> String {
        match self {
            ApiError::Network => i18n.t(Msg::ErrorNetwork).to_owned(),
            ApiError::Decode => i18n.t(Msg::ErrorBadResponse).to_owned(),
            ApiError::Http { status, problem } => {
                let detail =
                    problem.as_ref().map(|p| p.detail.clone().unwrap_or_else(|| p.title.clone())).unwrap_or_default();
                i18n.fill(Msg::ErrorHttp, &[("status", &status.to_string()), ("detail", &detail)])
            }
        }
    }
}

/// `GET path`, decoded as JSON.
pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let window = web_sys::window().ok_or(ApiError::Network)?;
    let init = RequestInit::new();
    init.set_method("GET");
    let request = Request::new_with_str_and_init(path, &init).map_err(|_| ApiError::Network)?;
    request.headers().set("Accept", "application/json").map_err(|_| ApiError::Network)?;
    let response = JsFuture::from(window.fetch_with_request(&request)).await.map_err(|_| ApiError::Network)?;
    let response: Response = response.dyn_into().map_err(|_| ApiError::Decode)?;
    let text = JsFuture::from(response.text().map_err(|_| ApiError::Decode)?)
        .await
        .map_err(|_| ApiError::Network)?
        .as_string()
        .unwrap_or_default();
    if !response.ok() {
        return Err(ApiError::Http { status: response.status(), problem: serde_json::from_str(&text).ok() });
    }
    serde_json::from_str(&text).map_err(|_| ApiError::Decode)
}
