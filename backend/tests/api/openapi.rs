//! The OpenAPI document at `/api/openapi.json` describes every route.
//!
//! The routes are found three ways and must agree with the document: the
//! list `registry_console::api::openapi::ROUTES`; the route table read from
//! the sources (from `App::new()` in `startup.rs` through every `scope()` it
//! mounts, parsed with `syn`); and the running server, which must answer every
//! documented operation with something other than its unknown-path fallback.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use registry_console::api::openapi::{BEARER, ROUTES};
use serde_json::Value;
use syn::visit::Visit;
use syn::{Expr, ExprCall, ExprMethodCall, Item, Lit};

use crate::helpers::{TestApp, spawn_app};

/// `(method, path)`: lower-case method, path parameters in braces.
type Route = (String, String);

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

async fn fetch_document(app: &TestApp) -> Value {
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    response.json().await.expect("the document is JSON")
}

fn operations(document: &Value) -> BTreeMap<Route, &Value> {
    let paths = document["paths"].as_object().expect("paths is an object");
    let mut operations = BTreeMap::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                operations.insert((method.to_owned(), path.clone()), operation);
            }
        }
    }
    operations
}

fn documented(document: &Value) -> BTreeSet<Route> {
    operations(document).into_keys().collect()
}

fn listed() -> BTreeSet<Route> {
    ROUTES.iter().map(|(method, path)| ((*method).to_owned(), (*path).to_owned())).collect()
}

#[tokio::test]
async fn document_is_openapi_3_1_with_title_and_version() {
    let app = spawn_app().await;
    let document = fetch_document(&app).await;
    let version = document["openapi"].as_str().expect("openapi is a string");
    assert!(version.starts_with("3.1."), "openapi {version}");
    assert_eq!(document["info"]["title"], "Registry Console API");
    assert_eq!(document["info"]["version"], model::VERSION);

    let scheme = &document["components"]["securitySchemes"][BEARER];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert_eq!(scheme["scheme"], "bearer", "{scheme}");

    let mut operation_ids = BTreeSet::new();
    for ((method, path), operation) in operations(&document) {
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(operation_ids.insert(id.to_owned()), "{method} {path}: operationId {id:?} missing or repeated");
        assert!(operation["summary"].as_str().is_some_and(|text| !text.is_empty()), "{method} {path}: no summary");
        assert!(operation["description"].as_str().is_some_and(|text| !text.is_empty()), "{method} {path}: no text");
        assert!(operation["tags"].as_array().is_some_and(|tags| !tags.is_empty()), "{method} {path}: no tag");
        let responses = operation["responses"].as_object().expect("responses");
        assert!(responses.keys().any(|status| status.starts_with('2')), "{method} {path}: no success response");
        // Errors are problem documents; `/readyz` answers its 503 with the health body.
        let errors = responses.iter().filter(|(status, _)| status.starts_with(['4', '5']) && path != "/readyz");
        for (status, response) in errors {
            assert!(
                response["content"].get("application/problem+json").is_some(),
                "{method} {path} {status}: errors are problem documents"
            );
        }
        // The calls that act as the caller on the cluster need the bearer token; the others need nothing.
        let needs_token = path.starts_with("/api/v1/registry") || path.starts_with("/api/v1/plans");
        let security = operation.get("security").and_then(Value::as_array).cloned().unwrap_or_default();
        assert_eq!(
            security.iter().any(|requirement| requirement.get(BEARER).is_some()),
            needs_token,
            "{method} {path}: security {security:?}"
        );
        if needs_token {
            assert!(responses.contains_key("401"), "{method} {path}: no 401");
        }
    }
}

#[tokio::test]
async fn the_route_list_is_what_the_document_describes() {
    let app = spawn_app().await;
    let document = fetch_document(&app).await;
    let documented = documented(&document);
    let listed = listed();
    assert_eq!(listed.len(), ROUTES.len(), "ROUTES has a duplicate");
    assert_eq!(
        documented,
        listed,
        "undocumented: {:?}; documented but not listed: {:?}",
        listed.difference(&documented).collect::<Vec<_>>(),
        documented.difference(&listed).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn every_route_in_the_sources_is_documented() {
    let app = spawn_app().await;
    let documented = documented(&fetch_document(&app).await);
    let table = RouteTable::read();
    assert!(table.routes.len() >= 10, "the route table reader found too little: {:?}", table.routes);
    assert_eq!(
        table.routes,
        documented,
        "registered but undocumented: {:?}; documented but not registered: {:?}",
        table.routes.difference(&documented).collect::<Vec<_>>(),
        documented.difference(&table.routes).collect::<Vec<_>>()
    );
    // Every `.route(…)` in the sources was reached from `App::new()`: none is registered some other way.
    let written = count_route_calls();
    assert_eq!(table.route_calls, written, "`.route(` calls reached from App::new() vs. in the sources");
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = spawn_app().await;
    let document = fetch_document(&app).await;
    // The check below recognises the fallbacks; make sure it does.
    let (status, fallback) = call(&app, "get", "/api/v1/no-such-thing").await;
    assert_eq!((status, fallback), (404, true), "unknown API paths answer the no-resource problem");
    let (_, fallback) = call(&app, "post", "/api/v1/health").await;
    assert!(fallback, "a method a path does not have is not served");
    let (_, fallback) = call(&app, "get", "/no-such-probe").await;
    assert!(fallback, "unknown paths outside /api reach the app");

    for (method, path) in documented(&document) {
        let concrete = path.replace("{id}", "0123456789abcdef");
        assert!(!concrete.contains('{'), "{path}: a path parameter the test does not fill");
        let (status, fallback) = call(&app, &method, &concrete).await;
        assert!(!fallback, "{method} {path} is documented but not served (status {status})");
    }
}

/// The status, and whether the answer is a fallback for unknown routes: the
/// API's "no API resource" problem or the browser app's page.
async fn call(app: &TestApp, method: &str, path: &str) -> (u16, bool) {
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    let response = app.client.request(method, app.url(path)).send().await.expect("server answers");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
    let body = response.text().await.unwrap_or_default();
    let unknown_api = status == 404 && body.contains("no API resource at");
    let app_page = content_type.as_deref().is_some_and(|value| value.starts_with("text/html"));
    (status, unknown_api || app_page || status == 405)
}

#[test]
fn every_ref_resolves_to_a_schema() {
    let document = serde_json::to_value(registry_console::api::openapi::document()).expect("serialise");
    let schemas = document["components"]["schemas"].as_object().expect("components.schemas");
    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(!refs.is_empty(), "the document refers to no schema");
    for reference in &refs {
        let name = reference.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("ref {reference}"));
        assert!(schemas.contains_key(name), "{reference} does not resolve");
    }
    for name in ["Problem", "Plan", "PlanRequest", "ApplyRequest", "ApplyResult", "Health", "RegistryView"] {
        assert!(refs.iter().any(|reference| reference.ends_with(&format!("/{name}"))), "{name} is not used");
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                refs.push(reference.clone());
            }
            map.values().for_each(|value| collect_refs(value, refs));
        }
        Value::Array(items) => items.iter().for_each(|value| collect_refs(value, refs)),
        _ => {}
    }
}

/// The values of a tagged union's tag, one per `oneOf` alternative.
fn tags_of(schema: &Value, tag: &str) -> BTreeSet<String> {
    let alternatives = schema["oneOf"].as_array().unwrap_or_else(|| panic!("not a oneOf: {schema}"));
    let mut tags = BTreeSet::new();
    for alternative in alternatives {
        // `allOf: [{$ref}, {tag}]` for a variant holding a type, an object with the tag otherwise.
        let parts =
            alternative.get("allOf").and_then(Value::as_array).cloned().unwrap_or_else(|| vec![alternative.clone()]);
        let values: Vec<_> = parts
            .iter()
            .filter_map(|part| part["properties"][tag]["enum"].as_array())
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(values.len(), 1, "an alternative without one `{tag}`: {alternative}");
        assert!(
            parts.iter().any(|part| part["required"].as_array().is_some_and(|required| required.contains(&tag.into()))),
            "`{tag}` is not required in {alternative}"
        );
        tags.insert(values[0].to_owned());
    }
    assert_eq!(tags.len(), alternatives.len(), "repeated tags in {schema}");
    assert_eq!(schema["discriminator"]["propertyName"], tag);
    tags
}

#[test]
fn plan_request_lists_every_plan_kind() {
    use model::registry::*;
    let document = serde_json::to_value(registry_console::api::openapi::document()).expect("serialise");
    let schemas = &document["components"]["schemas"];
    // One of each variant; `match` below fails to compile when a variant is added and not listed here.
    let requests = [
        PlanRequest::Management(ManagementInput::default()),
        PlanRequest::Storage(StorageInput {
            provider: StorageProvider::EmptyDir,
            replicas: None,
            rollout_strategy: None,
            management_state: None,
        }),
        PlanRequest::DefaultStorageClass(DefaultStorageClassInput::default()),
        PlanRequest::Routes(RoutesInput::default()),
        PlanRequest::TrustedCa(TrustedCaInput::default()),
        PlanRequest::TrustIngressCa(TrustIngressCaInput::default()),
        PlanRequest::RegistrySources(RegistrySourcesInput::default()),
        PlanRequest::MirrorSet(MirrorSetInput::default()),
        PlanRequest::GlobalPullSecret(GlobalPullSecretInput::default()),
        PlanRequest::Pruner(PrunerInput::default()),
        PlanRequest::PruneNow(PruneNowInput::default()),
        PlanRequest::RoleGrant(RoleGrantInput::default()),
        PlanRequest::MetricsAccess(MetricsAccessInput::default()),
        PlanRequest::PullSecret(PullSecretInput::default()),
        PlanRequest::DeleteImageTag(DeleteImageTagInput::default()),
        PlanRequest::DeleteImage(DeleteImageInput::default()),
    ];
    let mut kinds = BTreeSet::new();
    for request in &requests {
        match request {
            PlanRequest::Management(_)
            | PlanRequest::Storage(_)
            | PlanRequest::DefaultStorageClass(_)
            | PlanRequest::Routes(_)
            | PlanRequest::TrustedCa(_)
            | PlanRequest::TrustIngressCa(_)
            | PlanRequest::RegistrySources(_)
            | PlanRequest::MirrorSet(_)
            | PlanRequest::GlobalPullSecret(_)
            | PlanRequest::Pruner(_)
            | PlanRequest::PruneNow(_)
            | PlanRequest::RoleGrant(_)
            | PlanRequest::MetricsAccess(_)
            | PlanRequest::PullSecret(_)
            | PlanRequest::DeleteImageTag(_)
            | PlanRequest::DeleteImage(_) => {}
        }
        let wire = serde_json::to_value(request).expect("serialise");
        assert_eq!(wire["kind"], request.kind(), "kind() is the wire tag");
        kinds.insert(request.kind().to_owned());
    }
    assert_eq!(kinds.len(), requests.len());
    assert_eq!(tags_of(&schemas["PlanRequest"], "kind"), kinds);

    let providers = [
        StorageProvider::Pvc(PvcStorage::default()),
        StorageProvider::EmptyDir,
        StorageProvider::S3(S3Storage::default()),
        StorageProvider::Gcs(GcsStorage::default()),
        StorageProvider::Azure(AzureStorage::default()),
        StorageProvider::Swift(SwiftStorage::default()),
        StorageProvider::IbmCos(IbmCosStorage::default()),
    ];
    let types: BTreeSet<String> = providers
        .iter()
        .map(|provider| serde_json::to_value(provider).expect("serialise")["type"].as_str().expect("type").to_owned())
        .collect();
    assert_eq!(tags_of(&schemas["StorageProvider"], "type"), types);
    let sources: BTreeSet<String> = ["upload", "generate"].map(str::to_owned).into();
    assert_eq!(tags_of(&schemas["RouteTls"], "source"), sources);
}

/// The server's route table as written in `backend/src`.
struct RouteTable {
    routes: BTreeSet<Route>,
    /// `.route(…)` calls evaluated.
    route_calls: usize,
}

/// A builder being evaluated: its full path, and whether it is a resource (whose `.route` has no path).
struct Builder {
    path: String,
    resource: bool,
}

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn parse(file: &Path) -> syn::File {
    let text = std::fs::read_to_string(file).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
    syn::parse_file(&text).unwrap_or_else(|error| panic!("{}: {error}", file.display()))
}

fn string_literal(expr: &Expr) -> String {
    match expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(text), .. }) => text.value(),
        other => panic!("expected a string literal in the route table, found {}", describe(other)),
    }
}

fn describe(expr: &Expr) -> String {
    match expr {
        Expr::Call(call) => format!("a call of {}", path_of(&call.func).join("::")),
        Expr::MethodCall(call) => format!("a call of .{}()", call.method),
        _ => "an expression the reader does not know".into(),
    }
}

fn path_of(expr: &Expr) -> Vec<String> {
    match expr {
        Expr::Path(path) => path.path.segments.iter().map(|segment| segment.ident.to_string()).collect(),
        _ => Vec::new(),
    }
}

impl RouteTable {
    fn read() -> Self {
        let startup = source_root().join("startup.rs");
        let mut finder = AppFinder { found: Vec::new() };
        finder.visit_file(&parse(&startup));
        assert_eq!(finder.found.len(), 1, "one `App::new()` chain in startup.rs");
        let mut table = RouteTable { routes: BTreeSet::new(), route_calls: 0 };
        let app = finder.found.remove(0);
        table.eval(&app, &startup, "");
        table
    }

    /// Evaluates a builder expression mounted at `mount`, recording its routes.
    fn eval(&mut self, expr: &Expr, file: &Path, mount: &str) -> Builder {
        match expr {
            Expr::Paren(inner) => self.eval(&inner.expr, file, mount),
            Expr::MethodCall(call) => {
                let builder = self.eval(&call.receiver, file, mount);
                let args: Vec<&Expr> = call.args.iter().collect();
                match call.method.to_string().as_str() {
                    "route" => {
                        self.route_calls += 1;
                        let (path, guard) = match args.as_slice() {
                            [path, guard] if !builder.resource => {
                                (format!("{}{}", builder.path, string_literal(path)), *guard)
                            }
                            [guard] if builder.resource => (builder.path.clone(), *guard),
                            _ => panic!("{}: an unexpected .route() at {}", file.display(), builder.path),
                        };
                        self.routes.insert((route_method(guard), path));
                    }
                    "service" => {
                        let [service] = args.as_slice() else { panic!(".service() takes one argument") };
                        self.eval(service, file, &builder.path);
                    }
                    // Fallbacks, middleware and data register no route.
                    "default_service" | "wrap" | "app_data" | "wrap_fn" => {}
                    other => panic!("{}: the route table reader does not know .{other}()", file.display()),
                }
                builder
            }
            Expr::Call(call) => self.eval_call(call, file, mount),
            other => panic!("{}: the route table reader does not know {}", file.display(), describe(other)),
        }
    }

    fn eval_call(&mut self, call: &ExprCall, file: &Path, mount: &str) -> Builder {
        let path = path_of(&call.func);
        let segments: Vec<&str> = path.iter().map(String::as_str).collect();
        match segments.as_slice() {
            ["App", "new"] => Builder { path: mount.to_owned(), resource: false },
            [.., "web", "scope"] | ["scope"] if call.args.len() == 1 => {
                Builder { path: format!("{mount}{}", string_literal(&call.args[0])), resource: false }
            }
            [.., "web", "resource"] | ["resource"] => {
                Builder { path: format!("{mount}{}", string_literal(&call.args[0])), resource: true }
            }
            [modules @ .., function] if call.args.is_empty() => {
                // A function of this crate returning a scope or resource: evaluate its body's value.
                let target = module_file(file, modules);
                let parsed = parse(&target);
                let body = parsed
                    .items
                    .iter()
                    .find_map(|item| match item {
                        Item::Fn(item) if item.sig.ident == function => Some(item.block.clone()),
                        _ => None,
                    })
                    .unwrap_or_else(|| panic!("{}: no fn {function}", target.display()));
                let Some(syn::Stmt::Expr(value, None)) = body.stmts.last() else {
                    panic!("{}: fn {function} does not end in a builder expression", target.display())
                };
                self.eval(value, &target, mount)
            }
            _ => panic!("{}: the route table reader does not know {}", file.display(), path.join("::")),
        }
    }
}

/// The HTTP method of a route's `web::<method>().to(…)`.
fn route_method(expr: &Expr) -> String {
    match expr {
        Expr::MethodCall(call) => route_method(&call.receiver),
        Expr::Call(call) => {
            let path = path_of(&call.func);
            let method = path.last().map(String::as_str).unwrap_or_default();
            assert!(METHODS.contains(&method), "a route guard the reader does not know: {}", path.join("::"));
            method.to_owned()
        }
        other => panic!("a route guard the reader does not know: {}", describe(other)),
    }
}

/// The file of module `modules` (relative to `file`'s module, or `crate::…`).
fn module_file(file: &Path, modules: &[&str]) -> PathBuf {
    let root = source_root();
    let (base, modules) = match modules {
        ["crate", rest @ ..] => (root.clone(), rest),
        // `mod.rs` is its directory's module; `x.rs` has children in `x/`.
        _ if file.file_name().is_some_and(|name| name == "mod.rs") => {
            (file.parent().map(Path::to_path_buf).unwrap_or_default(), modules)
        }
        _ => (file.with_extension(""), modules),
    };
    if modules.is_empty() {
        return file.to_path_buf();
    }
    for base in [base, root] {
        let dir = modules.iter().fold(base, |dir, module| dir.join(module));
        for candidate in [dir.with_extension("rs"), dir.join("mod.rs")] {
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("{}: no module {}", file.display(), modules.join("::"))
}

/// Finds the outermost method-call chain starting at `App::new()`.
struct AppFinder {
    found: Vec<Expr>,
}

impl<'ast> Visit<'ast> for AppFinder {
    fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
        let mut root = &*call.receiver;
        while let Expr::MethodCall(inner) = root {
            root = &inner.receiver;
        }
        if let Expr::Call(root) = root
            && path_of(&root.func) == ["App", "new"]
        {
            self.found.push(Expr::MethodCall(call.clone()));
            return;
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

/// `.route(…)` method calls in every file under `backend/src`.
fn count_route_calls() -> usize {
    struct Counter(usize);
    impl<'ast> Visit<'ast> for Counter {
        fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
            if call.method == "route" {
                self.0 += 1;
            }
            syn::visit::visit_expr_method_call(self, call);
        }
        // Unit tests may build apps of their own.
        fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
            let test_only = module.attrs.iter().any(|attr| {
                attr.path().is_ident("cfg") && attr.parse_args::<syn::Ident>().is_ok_and(|arg| arg == "test")
            });
            if !test_only {
                syn::visit::visit_item_mod(self, module);
            }
        }
    }
    let mut counter = Counter(0);
    let mut pending = vec![source_root()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                counter.visit_file(&parse(&path));
            }
        }
    }
    counter.0
}
