//! `Caller`: the user behind a request, as a cluster client acting with
//! their own credential. For now the credential is the bearer token of the
//! `Authorization` header, passed through as `kubectl` does; browser
//! sign-in (sessions) will produce the same extractor.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};

use crate::cluster::{ClientCache, UserClient};
use crate::error::ApiError;

pub struct Caller {
    pub client: UserClient,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(caller(request))
    }
}

fn caller(request: &HttpRequest) -> Result<Caller, ApiError> {
    let token = bearer_token(request).ok_or_else(|| ApiError::Unauthorized {
        detail:
            "send the cluster credential as `Authorization: Bearer <token>` (for example the output of `oc whoami -t`)"
                .into(),
    })?;
    let cache = request
        .app_data::<web::Data<ClientCache>>()
        .ok_or_else(|| ApiError::Unavailable { detail: "the cluster client is not set up".into() })?;
    Ok(Caller { client: cache.user(token)? })
}

/// The token of an `Authorization: Bearer` header, if well formed.
pub fn bearer_token(request: &HttpRequest) -> Option<&str> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(char::is_whitespace))
        .then_some(token)
}
