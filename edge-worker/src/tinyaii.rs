//! Protocol E (tinyaii) routes: parse, decide with `update_protocol::tinyaii`, answer in its
//! envelope. Every failure, internal ones included, answers in that envelope.

use crate::{http, store};
use serde::Serialize;
use update_protocol::links::{Links, Protocol};
use update_protocol::tinyaii::{self, Envelope, Error};
use worker::{Env, Request, Response, Result};

fn respond<T: Serialize>(status: u16, body: &Envelope<T>) -> Result<Response> {
    http::json(status, body)
}

fn fail(e: Error) -> Result<Response> {
    respond(e.status(), &e.envelope())
}

/// `POST /api/v1/version/check`.
pub async fn version_check(mut req: Request, env: &Env) -> Result<Response> {
    let Some(body) = http::body(&mut req, tinyaii::MAX_BODY_BYTES).await? else {
        return fail(Error::BadRequest);
    };
    let parsed = match tinyaii::parse(&body) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let links = http::links(&req, env, Protocol::Tinyaii);
    match answer(env, &parsed, &links).await {
        Ok(Ok(data)) => respond(200, &Envelope::ok("检查成功", data)),
        Ok(Err(Error::Internal)) => {
            // The decision fails internally only for want of a download link key.
            http::log_no_link_key("version check");
            fail(Error::Internal)
        }
        Ok(Err(e)) => fail(e),
        Err(e) => {
            worker::console_error!("version check: {e}");
            fail(Error::Internal)
        }
    }
}

async fn answer(
    env: &Env,
    req: &tinyaii::VersionCheckRequest,
    links: &Links,
) -> Result<std::result::Result<tinyaii::VersionCheck, Error>> {
    let lookup = store::lookup(env).await?;
    let Some(id) = lookup.tinyaii.get(req.app_key.trim()) else {
        return Ok(Err(Error::UnknownApp));
    };
    let Some(app) = store::app(env, id).await? else {
        return Ok(Err(Error::UnknownApp));
    };
    Ok(tinyaii::version_check(&app, req, links))
}
