//! CSRF protection for cookie-authenticated requests. An unsafe method
//! (anything but GET, HEAD, OPTIONS, TRACE) on a live session needs
//! - a same-origin source: `Origin` equal to the request's own origin, or no
//!   `Origin` and `Sec-Fetch-Site: same-origin`; a `Sec-Fetch-Site` other
//!   than `same-origin` is refused whatever the `Origin`; and
//! - header `X-CSRF-Token` equal to the session's token (constant-time).
//!
//! Requests without a live session (API clients with a bearer token, the
//! anonymous) are not affected: nothing ambient authenticates them. Runs
//! inside the session middleware, which loads the session.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use model::Problem;

use super::session::{Sessions, request_csrf_token};
use crate::error::problem_response;

/// Header carrying the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Problem type of a refusal; its `reason` member says which check failed.
pub const PROBLEM_TYPE: &str = "https://registry-console.dev/problems/csrf";

/// Why a request was refused; `reason` in the problem document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    CrossSite,
    CrossOrigin,
    OriginMissing,
    TokenMissing,
    TokenMismatch,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::CrossSite => "cross-site",
            Refusal::CrossOrigin => "cross-origin",
            Refusal::OriginMissing => "origin-missing",
            Refusal::TokenMissing => "csrf-token-missing",
            Refusal::TokenMismatch => "csrf-token-mismatch",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Refusal::CrossSite => "the request comes from another site (`Sec-Fetch-Site` is not `same-origin`)",
            Refusal::CrossOrigin => "the request's `Origin` is not this console",
            Refusal::OriginMissing => "the request has neither `Origin` nor `Sec-Fetch-Site: same-origin`",
            Refusal::TokenMissing => "the request has no `X-CSRF-Token` header; send the session's CSRF token",
            Refusal::TokenMismatch => "the `X-CSRF-Token` header is not this session's CSRF token",
        }
    }

    pub fn problem(self) -> Problem {
        let mut extensions = serde_json::Map::new();
        extensions.insert("reason".into(), self.reason().into());
        Problem {
            kind: PROBLEM_TYPE.into(),
            title: "Cross-site request refused".into(),
            status: 403,
            detail: Some(self.detail().into()),
            instance: None,
            errors: Vec::new(),
            extensions,
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// The checks, on a request that carries a live session with `expected` as its token.
pub fn check(request: &ServiceRequest, expected: Option<&str>, secure: bool) -> Result<(), Refusal> {
    let header = |name: &str| request.headers().get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    let fetch_site = header("sec-fetch-site");
    if fetch_site.is_some_and(|site| !site.eq_ignore_ascii_case("same-origin")) {
        return Err(Refusal::CrossSite);
    }
    match header("origin") {
        Some(origin) => {
            let info = request.connection_info();
            let host = info.host();
            let same = |scheme: &str| origin.eq_ignore_ascii_case(&format!("{scheme}://{host}"));
            // Behind a proxy ending TLS the console sees http while the browser is on https.
            if !(same(info.scheme()) || (secure && same("https"))) {
                return Err(Refusal::CrossOrigin);
            }
        }
        None if fetch_site.is_some() => {}
        None => return Err(Refusal::OriginMissing),
    }
    let sent = header(CSRF_HEADER).filter(|token| !token.is_empty()).ok_or(Refusal::TokenMissing)?;
    let expected = expected.ok_or(Refusal::TokenMismatch)?;
    if equal_in_constant_time(sent.as_bytes(), expected.as_bytes()) { Ok(()) } else { Err(Refusal::TokenMismatch) }
}

/// Compares without stopping at the first difference (the token's length is not secret).
fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(difference) == 0
}

/// The middleware (wrapped inside the session middleware).
pub async fn protect(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !is_safe(request.method())
        && let Some(expected) = request_csrf_token(&request)
    {
        let secure = request.app_data::<web::Data<Sessions>>().is_some_and(|sessions| sessions.secure());
        if let Err(refusal) = check(&request, expected.as_deref(), secure) {
            tracing::warn!(reason = refusal.reason(), path = request.path(), "cross-site request refused");
            let response = problem_response(&refusal.problem());
            return Ok(request.into_response(response).map_into_right_body());
        }
    }
    Ok(next.call(request).await?.map_into_left_body())
}
