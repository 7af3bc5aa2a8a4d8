//! The OpenAPI 3.1 document of the API, generated from the handlers' annotations and the
//! bodies' types (utoipa) and served at `/api/v1/openapi.json`. `docs/openapi.json` is its
//! reviewed copy: a test keeps the two equal, and `.ci/run` runs schemathesis against a running
//! harta with it.

use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::schema;
use crate::problem::{FieldProblem, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "harta",
        version = "1",
        description = "Register, read and list cases, record their life cycle, and read the service catalogue. \
                       Errors are RFC 9457 problems; see docs/api.md."
    ),
    paths(
        super::list_cases,
        super::register_case,
        super::get_case,
        super::record_event,
        super::decide_publication,
        super::list_documents,
        super::get_document,
        super::list_services,
        super::get_service,
        super::put_service,
        crate::public::performance::open_json,
    ),
    components(schemas(
        schema::Registered,
        schema::CaseItem,
        schema::CaseList,
        schema::Party,
        schema::HistoryEntry,
        schema::CaseDetail,
        schema::EventRecorded,
        schema::Publication,
        schema::DocumentItem,
        schema::DocumentList,
        schema::ServiceList,
        schema::RegisterCase,
        schema::PartyInput,
        schema::PublicationInput,
        Problem,
        FieldProblem,
        crate::public::performance::OpenData,
        crate::public::performance::OpenRow,
    )),
    modifiers(&BearerToken),
    tags((name = "cases", description = "the registry"), (name = "services", description = "the service catalogue"),
        (name = "open data", description = "how the charter's promises are kept"))
)]
pub(super) struct ApiDoc;

/// The API token every case route takes: `Authorization: Bearer harta_…`.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("token", SecurityScheme::Http(scheme));
    }
}

/// The document, as JSON.
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

/// `GET /api/v1/openapi.json`.
pub(super) async fn document() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], json()).into_response()
}
