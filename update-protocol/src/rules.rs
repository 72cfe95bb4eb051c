//! The app-wide rules that more than one part applies: which architecture and channel are an
//! app's defaults, and whether a version is below the app's minimum. One home each, so that the
//! generator, the edge data it writes and every protocol answer agree.

use crate::manifest::AppManifest;
use crate::names::{ArchKey, ChannelKey};
use crate::version::VersionScheme;

/// The key of the one architecture an app that declares none has.
pub const DEFAULT_ARCH_KEY: &str = "default";

/// The default among `archs`, in their order: the first default and enabled one, else the first
/// enabled, else the first default, else the first (protocol A's `pickFallbackArchitecture`,
/// `shared/spec/seed-protocols.md` A.2, which every protocol shares). Generic so that each
/// caller keeps its own view of an architecture.
pub fn default_arch_of<T>(
    archs: &[T],
    is_default: impl Fn(&T) -> bool,
    is_enabled: impl Fn(&T) -> bool,
) -> Option<&T> {
    archs
        .iter()
        .find(|a| is_default(a) && is_enabled(a))
        .or_else(|| archs.iter().find(|a| is_enabled(a)))
        .or_else(|| archs.iter().find(|a| is_default(a)))
        .or_else(|| archs.first())
}

/// The app's default architecture: [`default_arch_of`] its architectures in `order` (ties keep
/// the file's order), or [`DEFAULT_ARCH_KEY`] when it declares none. Artifacts that name no
/// architecture are for it, and clients that name none get it.
pub fn default_arch(app: &AppManifest) -> ArchKey {
    let mut archs: Vec<_> = app.architectures.iter().collect();
    archs.sort_by_key(|a| a.order); // stable
    match default_arch_of(&archs, |a| a.default, |a| a.enabled) {
        Some(a) => a.key.clone(),
        None => default_arch_key(),
    }
}

/// [`DEFAULT_ARCH_KEY`] as a key.
pub fn default_arch_key() -> ArchKey {
    // A constant that `ArchKey::new` accepts (lowercase letters), tested below.
    ArchKey::new(DEFAULT_ARCH_KEY).unwrap_or_else(|_| unreachable!("`default` is a valid key"))
}

/// The app's default channel: the first one marked default, else the first; `None` for an app
/// without channels (which validation refuses).
pub fn default_channel(app: &AppManifest) -> Option<ChannelKey> {
    app.channels
        .iter()
        .find(|c| c.default)
        .or_else(|| app.channels.first())
        .map(|c| c.key.clone())
}

/// Where `version` stands against the app's minimum version (`policy.min_version`) under
/// `scheme`: `Some(true)` below it (a client there must update: the answer is forced),
/// `Some(false)` at or above it, `None` when there is no minimum or either version does not
/// parse under the scheme (then nothing is forced).
pub fn below_minimum(
    min_version: Option<&str>,
    scheme: VersionScheme,
    version: &str,
) -> Option<bool> {
    let min = scheme.key(min_version?).ok()?;
    Some(scheme.key(version).ok()? < min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(archs: serde_json::Value) -> AppManifest {
        serde_json::from_value(serde_json::json!({
            "id": "a", "name": "A", "platform": "android",
            "channels": [
                {"key": "stable", "name": "Stable"},
                {"key": "beta", "name": "Beta", "default": true},
            ],
            "architectures": archs,
        }))
        .expect("manifest")
    }

    #[test]
    fn default_architecture_falls_back_in_order() {
        use serde_json::json;
        let arch = |key: &str, mut extra: serde_json::Value| {
            extra["key"] = key.into();
            extra["name"] = key.into();
            extra
        };
        let (on, off) = (json!({}), json!({"enabled": false}));
        let default = |mut v: serde_json::Value| {
            v["default"] = true.into();
            v
        };
        for (archs, want) in [
            (json!([]), "default"),
            (
                json!([arch("x", on.clone()), arch("y", default(on.clone()))]),
                "y",
            ),
            (
                json!([arch("x", on.clone()), arch("y", default(off.clone()))]),
                "x",
            ),
            (
                json!([arch("x", off.clone()), arch("y", default(off.clone()))]),
                "y",
            ),
            (json!([arch("x", off.clone()), arch("y", off.clone())]), "x"),
            // `order` first, ties in file order.
            (
                json!([
                    arch("x", json!({"order": 2})),
                    arch("y", json!({"order": 1})),
                    arch("z", json!({"order": 1})),
                ]),
                "y",
            ),
        ] {
            assert_eq!(default_arch(&app(archs.clone())).as_str(), want, "{archs}");
        }
    }

    #[test]
    fn default_channel_is_the_marked_one_else_the_first() {
        assert_eq!(
            default_channel(&app(serde_json::json!([])))
                .map(|c| c.to_string())
                .as_deref(),
            Some("beta")
        );
        let mut a = app(serde_json::json!([]));
        a.channels.iter_mut().for_each(|c| c.default = false);
        assert_eq!(
            default_channel(&a).map(|c| c.to_string()).as_deref(),
            Some("stable")
        );
        a.channels.clear();
        assert_eq!(default_channel(&a), None);
    }

    #[test]
    fn below_minimum_compares_under_the_scheme_and_knows_when_it_cannot() {
        let semver = VersionScheme::Semver;
        for (min, version, want) in [
            (Some("1.1.0"), "1.0.9", Some(true)),
            (Some("1.1.0"), "1.1.0", Some(false)),
            (Some("1.1.0"), "1.2.0", Some(false)),
            (Some("1.0.0"), "1.0.0-beta", Some(true)),
            (None, "1.0.0", None),
            (Some("1.1.0"), "not a version", None),
            (Some("nope"), "1.0.0", None),
        ] {
            assert_eq!(
                below_minimum(min, semver, version),
                want,
                "{min:?} {version}"
            );
        }
        // Protocol A's order ranks a pre-release above its release.
        assert_eq!(
            below_minimum(Some("1.0.0"), VersionScheme::HotUpdate, "1.0.0-beta"),
            Some(false)
        );
    }
}
