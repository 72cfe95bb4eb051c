//! Protocol E (tinyaii): `POST /api/v1/version/check`. Every failure, internal ones included,
//! answers in E's envelope. (E's heartbeat and error report are in [`super::telemetry`].)

use super::{Body, Reply, Request, StoreError, Stores};
use crate::links::Protocol;
use crate::tinyaii::{self, Envelope, Error};

/// The error in E's envelope.
pub(super) fn fail(e: Error) -> Reply {
    Reply::json(e.status(), &e.envelope())
}

/// `POST /api/v1/version/check`.
pub async fn version_check<S: Stores>(req: &Request, s: &S) -> Reply {
    let Body::Read(body) = &req.body else {
        return fail(Error::BadRequest);
    };
    let parsed = match tinyaii::parse(body) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    match answer(req, s, &parsed).await {
        Ok(Ok(data)) => Reply::json(200, &Envelope::ok("检查成功", data)),
        // The decision fails internally only for want of a download link key.
        Ok(Err(Error::Internal)) => fail(Error::Internal).logged(super::NO_LINK_KEY),
        Ok(Err(e)) => fail(e),
        Err(e) => fail(Error::Internal).logged(format!("version check: {e}")),
    }
}

async fn answer<S: Stores>(
    req: &Request,
    s: &S,
    parsed: &tinyaii::VersionCheckRequest,
) -> Result<Result<tinyaii::VersionCheck, Error>, StoreError> {
    let lookup = s.lookup().await?;
    let Some(id) = lookup.tinyaii.get(parsed.app_key.trim()) else {
        return Ok(Err(Error::UnknownApp));
    };
    let Some(app) = super::offered_app(s, id).await? else {
        return Ok(Err(Error::UnknownApp));
    };
    let links = req.links(s.secrets()?.as_ref(), Protocol::Tinyaii);
    Ok(tinyaii::version_check(&app, parsed, &links))
}
