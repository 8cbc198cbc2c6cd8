//! The small HTML page at `verification_uri`: a person enters the code and picks a project.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::api;
use crate::common::AppState;
use crate::state::Approval;

/// Text escaped for HTML (element content and quoted attributes).
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d1d24}}input,select,button{{font-size:1.1rem;padding:.5rem;margin:.3rem 0;width:100%;box-sizing:border-box}}button{{background:#5b53ff;color:#fff;border:0;border-radius:.3rem}}.code{{letter-spacing:.3em;font-family:monospace}}.err{{color:#b00020}}</style></head><body><h1>{t}</h1>{body}<p><small>Takeup C2C emulator (test service, not Frame.io)</small></p></body></html>",
        t = esc(title)
    ))
}

#[derive(Deserialize)]
pub struct PairQuery {
    #[serde(default)]
    code: Option<String>,
}

/// `GET /pair?code=123456`
pub async fn show(State(st): State<AppState>, Query(q): Query<PairQuery>) -> Response {
    let code = q.code.unwrap_or_default();
    let w = st.world();
    let mut options = String::new();
    for a in w.accounts.iter().filter(|a| a.c2c_enabled) {
        options.push_str(&format!("<optgroup label=\"{}\">", esc(&a.display_name)));
        for p in &a.projects {
            options.push_str(&format!(
                "<option value=\"{}\">{}</option>",
                p.id,
                esc(&p.name)
            ));
        }
        options.push_str("</optgroup>");
    }
    let body = if options.is_empty() {
        "<p class=\"err\">You have no accounts with Camera to Cloud enabled.</p>".to_string()
    } else {
        format!(
            "<form method=\"post\" action=\"/pair\"><label>Code<input class=\"code\" name=\"user_code\" inputmode=\"numeric\" maxlength=\"6\" value=\"{}\" required></label><label>Project<select name=\"project_id\">{options}</select></label><button type=\"submit\">Connect device</button></form>",
            esc(&code)
        )
    };
    page("Connect a Camera to Cloud device", &body).into_response()
}

#[derive(Deserialize)]
pub struct PairForm {
    user_code: String,
    project_id: uuid::Uuid,
}

/// `POST /pair`
pub async fn submit(State(st): State<AppState>, Form(f): Form<PairForm>) -> Response {
    let mut w = st.world();
    let Some(project) = w.project(f.project_id).map(|(_, p)| p.name.clone()) else {
        return (
            StatusCode::NOT_FOUND,
            page(
                "Unknown project",
                "<p class=\"err\">That project does not exist.</p>",
            ),
        )
            .into_response();
    };
    match api::approve(
        &mut w,
        f.user_code.trim(),
        Approval {
            project_id: Some(f.project_id),
        },
    ) {
        Ok(_) => page(
            "Device connected",
            &format!(
                "<p>The device is now connected to <b>{}</b>. You can close this page.</p>",
                esc(&project)
            ),
        )
        .into_response(),
        Err(r) => (
            r.status(),
            page(
                "Code not accepted",
                "<p class=\"err\">That code is unknown or expired. Check the code shown on the device.</p><p><a href=\"/pair\">Try again</a></p>",
            ),
        )
            .into_response(),
    }
}
