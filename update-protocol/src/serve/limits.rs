//! Rate limits (`docs/scale.md`, "Rate limits"): every route that checks something (every
//! credentialed route, the telemetry routes among them) is limited per client address, then per
//! credential, before its own checks run; a client over a limit gets its protocol's "too many
//! requests" answer. The counting is the store's ([`RateLimits`]: the Workers rate-limiting
//! binding at the edge, which counts per location); the keys, the limits and the answers are
//! here.
//!
//! Two kinds of credential are told apart. One that belongs to one user or machine (a license
//! key, a user token, the admin token) is limited tightly: a license checked hundreds of times a
//! minute is shared or leaked. One that every install of an app carries (an API key, a channel
//! key, an access key, an `app_key`, an updater key) is limited loosely: all of an app's
//! machines behind one location share its count, so its limit only stops a flood.

use super::{Reply, Request};
use crate::keys::sha256_hex;
use crate::routes::{Auth, Envelope, Route};
use serde_json::json;

/// Which count a request is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Per client address and protocol.
    Client,
    /// Per credential of one user or machine (license key, user token, admin token).
    Personal,
    /// Per credential that all of an app's installs carry (API key, channel key, access key,
    /// `app_key`, updater key).
    AppWide,
}

impl Limit {
    /// Every limit, in the order they are checked.
    pub const ALL: [Limit; 3] = [Limit::Client, Limit::Personal, Limit::AppWide];

    /// The name of its rate-limiting binding in `wrangler.toml` (a test checks the two agree).
    pub const fn binding(self) -> &'static str {
        match self {
            Limit::Client => "CLIENT_LIMIT",
            Limit::Personal => "PERSONAL_LIMIT",
            Limit::AppWide => "APP_KEY_LIMIT",
        }
    }

    /// Requests allowed per [`Limit::period`] and location, as `wrangler.toml` configures the
    /// binding.
    pub const fn requests(self) -> u32 {
        match self {
            // Ten a second from one address: a large office behind one NAT checking hourly is
            // far below, a scraper is not.
            Limit::Client => 600,
            Limit::Personal => 120,
            Limit::AppWide => 20_000,
        }
    }

    /// The window in seconds (the binding takes 10 or 60).
    pub const fn period(self) -> u32 {
        match self {
            Limit::Client | Limit::Personal => 60,
            Limit::AppWide => 10,
        }
    }

    /// The limit per minute, as protocol A states it.
    pub const fn per_minute(self) -> u32 {
        self.requests() * (60 / self.period())
    }
}

/// The deployment's rate limiters.
#[allow(async_fn_in_trait)] // single-threaded (the module doc of `serve`)
pub trait RateLimits {
    /// Counts one request against `limit` under `key`; `false` when it is over. An
    /// implementation whose counter fails answers `true` (and logs it): a limiter that is down
    /// must not take the update service down with it.
    async fn allow(&self, limit: Limit, key: &str) -> bool;
}

/// The client address Cloudflare puts on every request (`CF-Connecting-IP`; a client cannot
/// set it), or `-` where there is none.
fn client_address(req: &Request) -> &str {
    req.header("cf-connecting-ip").unwrap_or("-")
}

/// A string field of the JSON body (bodies of limited routes are capped and small).
fn body_field(req: &Request, name: &str) -> Option<String> {
    let super::Body::Read(body) = &req.body else {
        return None;
    };
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get(name)?.as_str().map(str::to_owned)
}

/// The credential a request presents for `auth`, and which limit holds it; `None` when it
/// presents none (the route's own check then refuses it).
pub fn credential(auth: Auth, req: &Request) -> Option<(Limit, String)> {
    let query = || req.query_pairs();
    let q = |name: &str| super::param(&query(), name).map(str::to_owned);
    let bearer = || {
        req.header("authorization")
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::to_owned)
    };
    let found = match auth {
        Auth::None | Auth::SignedLink | Auth::NoneOrLink => None,
        Auth::BearerOrApiKey | Auth::BearerOrApiKeyOrBody => {
            if let Some(token) = bearer() {
                Some((Limit::Personal, token))
            } else {
                let key = req.header("x-api-key").map(str::to_owned);
                let key = match (key, auth) {
                    (None, Auth::BearerOrApiKeyOrBody) => body_field(req, "apiKey"),
                    (key, _) => key,
                };
                key.map(|k| (Limit::AppWide, k))
            }
        }
        Auth::UserToken => q("token").map(|t| (Limit::Personal, t)),
        Auth::ChannelKey => q("channel_key").map(|k| (Limit::AppWide, k)),
        Auth::LicenseBody => body_field(req, "licenseKey").map(|k| (Limit::Personal, k)),
        Auth::LicenseQuery => req
            .header("x-license-key")
            .map(str::to_owned)
            .or_else(|| q("licenseKey"))
            .map(|k| (Limit::Personal, k)),
        Auth::Signed => req
            .header("x-accesskey")
            .map(|k| (Limit::AppWide, k.to_owned())),
        Auth::AppKey => body_field(req, "app_key").map(|k| (Limit::AppWide, k)),
        Auth::UpdaterKey => q("tauriKey")
            .or_else(|| q("electronKey"))
            .map(|k| (Limit::AppWide, k)),
        Auth::AdminToken => bearer().map(|t| (Limit::Personal, t)),
    };
    found.filter(|(_, secret)| !secret.is_empty())
}

/// Counts `req` against its route's limits: `None` when it may go on, else the protocol's
/// "too many requests" answer. Routes that check nothing are not limited (the CDN's own
/// protection covers them). Credentials are counted by their sha256, never in clear.
pub async fn check<S: RateLimits>(route: &Route, req: &Request, s: &S) -> Option<Reply> {
    if route.auth == Auth::None {
        return None;
    }
    let tag = route.protocol.envelope();
    let client = format!("{tag:?}:{}", client_address(req));
    if !s.allow(Limit::Client, &client).await {
        return Some(too_many(tag, Limit::Client, req));
    }
    let (limit, secret) = credential(route.auth, req)?;
    let key = format!("{tag:?}:{}", sha256_hex(&secret));
    if !s.allow(limit, &key).await {
        return Some(too_many(tag, limit, req));
    }
    None
}

/// The answer of `envelope`'s protocol to a client over `limit`: 429 with `Retry-After` (the
/// window), in the protocol's error body; A's also with its `X-RateLimit-*` headers.
pub fn too_many(envelope: Envelope, limit: Limit, req: &Request) -> Reply {
    let retry = limit.period();
    let reset = req.now.add_seconds(i64::from(retry)).to_iso_millis();
    let body = match envelope {
        Envelope::HotUpdate => json!({
            "error": "Too many requests",
            "message": format!("Rate limit exceeded: {} requests per minute", limit.per_minute()),
            "retryAfter": reset,
        }),
        Envelope::Zealot | Envelope::Generic => json!({"error": "Too many requests"}),
        Envelope::License => json!({
            "code": "RATE_LIMITED",
            "message": format!("Too many requests: retry in {retry} seconds"),
        }),
        Envelope::Toolsetlink => json!({
            "code": 429_001,
            "msg": "Too many requests",
            "docs": "",
            "traceId": req.trace(),
        }),
        Envelope::Tinyaii => json!({
            "code": 429,
            "message": "请求过于频繁",
            "data": null,
        }),
    };
    let mut reply = Reply::json(429, &body).with("retry-after", retry.to_string());
    match envelope {
        Envelope::HotUpdate => {
            reply = reply
                .with("x-ratelimit-limit", limit.per_minute().to_string())
                .with("x-ratelimit-remaining", "0")
                .with("x-ratelimit-reset", reset);
        }
        Envelope::Zealot => reply = reply.with("cache-control", crate::zealot::CACHE_CONTROL),
        _ => {}
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_holds_the_whole_limit() {
        for l in Limit::ALL {
            assert!(matches!(l.period(), 10 | 60), "{l:?}");
            assert_eq!(l.per_minute() * l.period() / 60, l.requests(), "{l:?}");
        }
    }
}
