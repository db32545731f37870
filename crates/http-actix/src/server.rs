//! Assembles the actix application: middleware order, extractor configuration,
//! routes (through the OpenAPI-aware app), docs and the 404 fallback.

use crate::extract::{path_config, query_config, BodyLimits};
use crate::method_table::MethodTable;
use crate::middleware::cors::{cors, preflight_no_content};
use crate::middleware::{head_as_get, request_context};
use crate::openapi::{ApiDoc, OPENAPI_PATH};
use crate::problem::ApiError;
use crate::routes;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;
use std::time::Duration;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub cors_origins: Vec<String>,
    pub json_body_limit: usize,
    /// How long a request body may take to arrive (`408` after).
    pub body_read_timeout: Duration,
    /// actix worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// How long in-flight requests may run after a stop was requested.
    pub shutdown_grace: Duration,
}

/// Routes only the test harness adds (a slow handler, a JSON echo) go through
/// this hook; production passes [`no_extra_routes`].
pub type ExtraRoutes = fn(&mut web::ServiceConfig);

pub fn no_extra_routes(_: &mut web::ServiceConfig) {}

pub fn build_app(
    state: AppState,
    settings: &HttpSettings,
    extra_routes: ExtraRoutes,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, openapi) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(web::Data::new(state.metrics.clone()))
        .app_data(web::Data::new(state))
        .app_data(BodyLimits {
            max_bytes: settings.json_body_limit,
            read_timeout: settings.body_read_timeout,
        })
        .app_data(query_config())
        .app_data(path_config())
        .service(routes::ops::health)
        .service(routes::ops::ready)
        // Full paths on each handler rather than an actix scope: a `/api/v1`
        // scope would swallow `/api/v1/openapi.json`, registered after it.
        .service(routes::auth::register)
        .service(routes::auth::login)
        .service(routes::auth::refresh)
        .service(routes::auth::logout)
        .service(routes::auth::me)
        .service(routes::sessions::list_sessions)
        .service(routes::sessions::end_session)
        .service(routes::sessions::logout_all)
        .service(routes::sessions::change_password)
        .service(routes::tokens::create_token)
        .service(routes::tokens::list_tokens)
        .service(routes::tokens::revoke_token)
        .service(routes::teams::create_team)
        .service(routes::teams::list_teams)
        .service(routes::teams::get_team)
        .service(routes::teams::rename_team)
        .service(routes::teams::delete_team)
        .service(routes::teams::list_members)
        .service(routes::invitations::invite)
        .service(routes::invitations::list_invitations)
        .service(routes::invitations::accept_invitation)
        .service(routes::invitations::revoke_invitation)
        .service(routes::teams::add_member)
        .service(routes::teams::change_role)
        .service(routes::teams::remove_member)
        .service(routes::projects::create_project)
        .service(routes::projects::list_projects)
        .service(routes::projects::get_project)
        .service(routes::projects::update_project)
        .service(routes::projects::delete_project)
        .service(routes::tasks::create_task)
        .service(routes::tasks::list_tasks)
        .service(routes::tasks::get_task)
        .service(routes::tasks::patch_task)
        .service(routes::tasks::replace_task)
        .service(routes::tasks::delete_task)
        .service(routes::comments::create_comment)
        .service(routes::comments::list_comments)
        .service(routes::comments::update_comment)
        .service(routes::comments::delete_comment)
        .service(routes::comments::list_activity)
        .service(routes::team_activity::list_team_activity)
        .service(routes::notifications::list_notifications)
        .service(routes::notifications::read_notification)
        .service(routes::webhooks::create_webhook)
        .service(routes::webhooks::list_webhooks)
        .service(routes::webhooks::delete_webhook)
        .service(routes::events::project_events)
        .split_for_parts();

    // `wrap` order: the last one wrapped runs first. request_context must see
    // everything (including CORS rejections), so it is outermost.
    let openapi = crate::openapi::complete(openapi);
    let methods = web::Data::new(MethodTable::from_openapi(&openapi));
    app.app_data(methods)
        .service(SwaggerUi::new("/docs/{_:.*}").url(OPENAPI_PATH, openapi))
        .route("/docs", web::get().to(docs_redirect))
        .route("/metrics", web::get().to(crate::metrics::serve_metrics))
        .configure(extra_routes)
        .default_service(web::to(route_not_found))
        .wrap(from_fn(crate::middleware::rate_limit))
        .wrap(from_fn(crate::middleware::private_answers))
        .wrap(from_fn(head_as_get))
        .wrap(cors(&settings.cors_origins))
        .wrap(from_fn(preflight_no_content))
        .wrap(from_fn(request_context))
}

/// Swagger UI resolves its assets relative to `/docs/`, so `/docs` redirects.
async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// No route took the request: `405` with `Allow` when the path exists with
/// other methods, else `404`.
async fn route_not_found(
    request: actix_web::HttpRequest,
    methods: web::Data<MethodTable>,
) -> Result<actix_web::HttpResponse, ApiError> {
    match methods.allowed(request.path()) {
        // A plain OPTIONS (a preflight never gets here: the CORS middleware
        // answers it) asks what the path allows: `Allow` lists OPTIONS, so
        // it is answered, not refused (RFC 9110 §9.3.7).
        Some(allow) if request.method() == actix_web::http::Method::OPTIONS => {
            Ok(actix_web::HttpResponse::NoContent()
                .insert_header((actix_web::http::header::ALLOW, allow.to_owned()))
                .finish())
        }
        Some(allow) => Err(ApiError::MethodNotAllowed {
            allow: allow.to_owned(),
        }),
        None => Err(ApiError::RouteNotFound),
    }
}

/// Binds the app to an already-open listener (port 0 in tests). OS signals are
/// not handled here: the binary decides when to stop and calls the server
/// handle, so the same graceful path is used by SIGTERM and by tests.
///
/// # Errors
/// When the listener cannot be used.
pub fn serve(
    listener: TcpListener,
    state: AppState,
    settings: HttpSettings,
    extra_routes: ExtraRoutes,
) -> std::io::Result<Server> {
    let grace = settings.shutdown_grace.as_secs();
    let workers = settings.workers;
    let mut server = HttpServer::new(move || build_app(state.clone(), &settings, extra_routes))
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(grace);
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}
