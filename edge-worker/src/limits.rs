//! The rate limits of `update_protocol::serve::limits` over the Workers rate-limiting binding
//! (`[[ratelimits]]` in `wrangler.toml`, one binding per limit): it counts per Cloudflare
//! location, so a limit holds per location, which is what abuse protection needs
//! (`docs/scale.md`).

use crate::store::Bindings;
use update_protocol::serve::limits::{Limit, RateLimits};

impl RateLimits for Bindings<'_> {
    async fn allow(&self, limit: Limit, key: &str) -> bool {
        let counted = async {
            let limiter = self.env.rate_limiter(limit.binding())?;
            Ok::<_, worker::Error>(limiter.limit(key.to_owned()).await?.success)
        };
        match counted.await {
            Ok(allowed) => allowed,
            // Fail open: a limiter that is down must not take the update checks with it.
            Err(e) => {
                worker::console_error!("rate limit {}: {e}; request let through", limit.binding());
                true
            }
        }
    }
}
