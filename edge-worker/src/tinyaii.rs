//! Protocol E (tinyaii) routes: parse, decide with `update_protocol::tinyaii`, answer in its
//! envelope. Every failure, internal ones included, answers in that envelope.

use crate::{http, store};
use serde::Serialize;
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
    let origin = http::origin(&req);
    match answer(env, &parsed, &origin).await {
        Ok(Ok(data)) => respond(200, &Envelope::ok("检查成功", data)),
        Ok(Err(e)) => fail(e),
        Err(e) => {
            worker::console_error!("version check: {e}");
            respond(
                500,
                &Envelope::<()> {
                    code: 500,
                    message: "服务器内部错误",
                    data: None,
                },
            )
        }
    }
}

async fn answer(
    env: &Env,
    req: &tinyaii::VersionCheckRequest,
    origin: &str,
) -> Result<std::result::Result<tinyaii::VersionCheck, Error>> {
    let lookup = store::lookup(env).await?;
    let Some(id) = lookup.tinyaii.get(req.app_key.trim()) else {
        return Ok(Err(Error::UnknownApp));
    };
    let Some(app) = store::app(env, id).await? else {
        return Ok(Err(Error::UnknownApp));
    };
    Ok(tinyaii::version_check(&app, req, origin))
}
