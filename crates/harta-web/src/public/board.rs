//! The suggestions board (C3): published suggestions with the administration's answers.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use harta_app::App;
use harta_domain::format::{date_bg, in_sofia};

use super::{Chrome, Visit};

pub(super) fn router() -> Router<App> {
    Router::new().route("/suggestions", get(board))
}

#[derive(serde::Deserialize)]
pub(super) struct Page {
    page: Option<String>,
}

/// A suggestion as the board shows it.
struct Entry {
    received: String,
    text: String,
    answer: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    c: Chrome,
    entries: Vec<Entry>,
    page: u32,
    pages: u32,
    page_text: String,
}

async fn board(State(app): State<App>, visit: Visit, Query(q): Query<Page>) -> Response {
    // A page number that is not one shows the first page.
    let page = q.page.and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).clamp(1, 100_000);
    let board = match app.board(page).await {
        Ok(board) => board,
        Err(e) => return super::failure(&app, &visit, &e),
    };
    let entries = board
        .entries
        .into_iter()
        .map(|e| Entry {
            received: date_bg(in_sofia(e.received_at).date()),
            text: e.text,
            answer: e.answer.map(|(at, text)| (date_bg(in_sofia(at).date()), text)),
        })
        .collect();
    let page_text =
        visit.l().t_args("board-page", &[("page", &board.page.to_string()), ("pages", &board.pages.to_string())]);
    let page = BoardPage {
        c: visit.chrome(&app.charter(), "suggestions"),
        entries,
        page: board.page,
        pages: board.pages,
        page_text,
    };
    visit.page(StatusCode::OK, page.render(), false)
}
