//! Serves the built browser app from `web_root`: files are read once at start
//! (a few hundred KB), with the `.br`/`.gz` twins that `cargo xtask` writes
//! beside them. Hashed files under `assets/` are cached for a year;
//! `index.html` is revalidated every time so a new release is picked up.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, problem_response};

const INDEX: &str = "index.html";
/// Files under this folder carry a content hash in their name.
const HASHED_DIR: &str = "assets/";

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

struct Asset {
    content_type: &'static str,
    immutable: bool,
    etag: String,
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
}

/// The browser app's files, keyed by URL path without the leading `/`.
pub struct WebAssets {
    root: PathBuf,
    files: HashMap<String, Asset>,
}

impl WebAssets {
    /// Reads every file under `root`. A missing folder is not an error: the
    /// API still works, and `/` explains that the app is not built.
    pub fn load(root: &Path) -> Result<Self, WebError> {
        let mut files = HashMap::new();
        if root.is_dir() {
            collect(root, root, &mut files)?;
        }
        Ok(Self { root: root.to_owned(), files })
    }

    pub fn has_app(&self) -> bool {
        self.files.contains_key(INDEX)
    }

    fn lookup(&self, path: &str) -> Option<&Asset> {
        let path = path.trim_start_matches('/');
        if path.is_empty() {
            return self.files.get(INDEX);
        }
        if let Some(asset) = self.files.get(path) {
            return Some(asset);
        }
        // Paths without an extension are the app's own routes (`/storage`):
        // the app's router decides what they show.
        let last_segment = path.rsplit('/').next().unwrap_or(path);
        if !last_segment.contains('.') { self.files.get(INDEX) } else { None }
    }
}

fn collect(root: &Path, dir: &Path, files: &mut HashMap<String, Asset>) -> Result<(), WebError> {
    let read_error = |path: &Path| {
        let path = path.to_owned();
        move |source| WebError::Read { path, source }
    };
    for entry in fs::read_dir(dir).map_err(read_error(dir))? {
        let entry = entry.map_err(read_error(dir))?;
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files)?;
            continue;
        }
        let Some(extension) = path.extension().and_then(|e| e.to_str()) else { continue };
        if extension == "br" || extension == "gz" {
            continue; // attached to the original below
        }
        let Ok(relative) = path.strip_prefix(root) else { continue };
        let key = relative.to_string_lossy().replace('\\', "/");
        let identity = Bytes::from(fs::read(&path).map_err(read_error(&path))?);
        let twin = |suffix: &str| fs::read(format!("{}.{suffix}", path.display())).ok().map(Bytes::from);
        let etag = format!("\"{}\"", &hex(&Sha256::digest(&identity))[..32]);
        files.insert(
            key.clone(),
            Asset {
                content_type: content_type(extension),
                immutable: key.starts_with(HASHED_DIR),
                etag,
                brotli: twin("br"),
                gzip: twin("gz"),
                identity,
            },
        );
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn content_type(extension: &str) -> &'static str {
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Which precompressed twin the client accepts, best first: br, then gzip.
fn accepted_encoding(request: &HttpRequest) -> (bool, bool) {
    let Some(accept) = request.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return (false, false);
    };
    let accepts = |name: &str| {
        accept.split(',').any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            (coding.eq_ignore_ascii_case(name) || coding == "*") && !refused
        })
    };
    (accepts("br"), accepts("gzip"))
}

/// Default service for every path outside `/api` and the probes.
pub async fn serve(request: HttpRequest, assets: web::Data<WebAssets>) -> HttpResponse {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return problem_response(
            &ApiError::MethodNotAllowed {
                detail: format!("{} is not allowed on {}", request.method(), request.path()),
            }
            .problem(),
        );
    }
    let Some(asset) = assets.lookup(request.path()) else {
        if !assets.has_app() {
            return problem_response(&app_missing(&assets.root).problem());
        }
        return problem_response(&ApiError::not_found(format!("{} does not exist", request.path())).problem());
    };
    let cache_control = if asset.immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut response = HttpResponse::build(StatusCode::OK);
    response
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::ETAG, asset.etag.as_str()))
        .insert_header((header::VARY, "Accept-Encoding"));
    let not_modified = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == asset.etag || tag.trim() == "*"));
    if not_modified {
        return response.status(StatusCode::NOT_MODIFIED).finish();
    }
    let (brotli_ok, gzip_ok) = accepted_encoding(&request);
    let (body, encoding) = match (&asset.brotli, &asset.gzip) {
        (Some(brotli), _) if brotli_ok => (brotli.clone(), Some("br")),
        (_, Some(gzip)) if gzip_ok => (gzip.clone(), Some("gzip")),
        // No twin: the `Compress` middleware compresses on the fly if asked.
        _ => (asset.identity.clone(), None),
    };
    if let Some(encoding) = encoding {
        response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static(encoding)));
    }
    if request.method() == Method::HEAD {
        return response.no_chunking(body.len() as u64).finish();
    }
    response.body(body)
}

fn app_missing(root: &Path) -> ApiError {
    ApiError::Unavailable {
        detail: format!(
            "The browser app is not built: {} has no index.html. Run `cargo xtask demo`, or set web_root to the folder `cargo xtask dist` wrote",
            root.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn accepted(header_value: &str) -> (bool, bool) {
        accepted_encoding(
            &TestRequest::default().insert_header((header::ACCEPT_ENCODING, header_value)).to_http_request(),
        )
    }

    #[test]
    fn accept_encoding_is_read_with_quality_values() {
        assert_eq!(accepted("gzip, deflate, br"), (true, true));
        assert_eq!(accepted("gzip"), (false, true));
        assert_eq!(accepted("br;q=0, gzip;q=0.5"), (false, true));
        assert_eq!(accepted("*"), (true, true));
        assert_eq!(accepted("identity"), (false, false));
    }

    #[test]
    fn app_routes_fall_back_to_index_but_missing_files_do_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("index.html"), "<!doctype html>").expect("write index");
        fs::create_dir(dir.path().join("assets")).expect("mkdir");
        fs::write(dir.path().join("assets/app-1234.js"), "x").expect("write js");
        let assets = WebAssets::load(dir.path()).expect("load");
        assert!(assets.lookup("/").is_some_and(|a| !a.immutable));
        assert!(assets.lookup("/storage/s3").is_some_and(|a| a.content_type.starts_with("text/html")));
        assert!(assets.lookup("/assets/app-1234.js").is_some_and(|a| a.immutable));
        assert!(assets.lookup("/assets/missing-1.js").is_none());
    }
}
