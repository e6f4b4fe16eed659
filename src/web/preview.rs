//! Link previews for logged-in users: `GET /api/preview?url=` (what a link is, as text)
//! and `GET /api/preview/image?url=&sig=` (the image proxy: only URLs the daemon signed,
//! fetched by the daemon so the sender's server never sees the user's address).

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::Session;
use super::{AppState, Error};
use crate::preview;
use crate::wire;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/preview", get(link))
        .route("/preview/image", get(image))
}

#[derive(Debug, Deserialize)]
struct LinkQuery {
    url: String,
}

async fn link(
    State(state): State<AppState>,
    _: Session,
    Query(q): Query<LinkQuery>,
) -> Result<Json<wire::LinkPreview>, Error> {
    // No preview is an answer, not an error (the browser logs failed requests).
    let none = || {
        Json(wire::LinkPreview {
            url: q.url.clone(),
            kind: "none".into(),
            title: None,
            description: None,
            site_name: None,
            image_url: None,
        })
    };
    let Some(previews) = &state.previews else {
        return Ok(none());
    };
    let p = match previews.get(&q.url).await {
        Ok(p) => p,
        Err(preview::Error::NotHttp) => {
            return Err(Error::new(
                StatusCode::BAD_REQUEST,
                "Not an http(s) link.",
                "/url",
            ))
        }
        Err(_) => return Ok(none()),
    };
    let image_url = p.image.map(|u| {
        let u = u.to_string();
        format!(
            "/api/preview/image?url={}&sig={}",
            percent_encoding::utf8_percent_encode(&u, percent_encoding::NON_ALPHANUMERIC),
            previews.sign(&u)
        )
    });
    Ok(Json(wire::LinkPreview {
        url: p.url,
        kind: p.kind.to_string(),
        title: p.title,
        description: p.description,
        site_name: p.site_name,
        image_url,
    }))
}

#[derive(Debug, Deserialize)]
struct ImageQuery {
    url: String,
    sig: String,
}

async fn image(
    State(state): State<AppState>,
    _: Session,
    Query(q): Query<ImageQuery>,
) -> Result<Response, Error> {
    let Some(previews) = &state.previews else {
        return Err(Error::not_found("/url"));
    };
    let (ctype, body) = previews.image(&q.url, &q.sig).await.map_err(|e| match e {
        preview::Error::Signature => Error::new(StatusCode::FORBIDDEN, "Bad signature.", "/sig"),
        other => Error::new(StatusCode::NOT_FOUND, format!("No image: {other}."), "/url"),
    })?;
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(res)
}
