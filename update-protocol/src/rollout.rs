//! Which releases a client may be offered: never a draft or yanked one, and a partial rollout
//! only to the devices whose stable cohort falls inside its percentage.

use crate::index::EdgeRelease;
use crate::manifest::ReleaseState;
use sha2::{Digest, Sha256};

/// The device's cohort for a release, 0..100: the first 8 bytes of
/// `sha256(release_id + "\n" + device_id)` modulo 100. Salting with the release id gives every
/// release a fresh sample of devices; a device inside at `p`% stays inside at any `q` ≥ `p`.
pub fn cohort(release_id: &str, device_id: &str) -> u8 {
    let mut h = Sha256::new();
    h.update(release_id.as_bytes());
    h.update(b"\n");
    h.update(device_id.as_bytes());
    let d = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    // The remainder is below 100, so it fits a u8.
    u8::try_from(u64::from_be_bytes(first) % 100).unwrap_or(0)
}

/// Whether `r` may be offered to the device `device_id` (when the request names one). Without
/// a device id only fully rolled-out releases are offered, so a client that does not identify
/// itself never jumps a staged rollout.
pub fn offered(r: &EdgeRelease, device_id: Option<&str>) -> bool {
    if r.release.state != ReleaseState::Ready {
        return false;
    }
    let pct = r.release.rollout.percent();
    match device_id.map(str::trim).filter(|d| !d.is_empty()) {
        _ if pct >= 100 => true,
        Some(d) => cohort(&r.release_id, d) < pct,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohorts_are_stable_and_spread() {
        assert_eq!(
            cohort("app/stable/1.0.0", "m-1"),
            cohort("app/stable/1.0.0", "m-1")
        );
        let mut counts = [0u32; 10];
        for i in 0..10_000 {
            counts[usize::from(cohort("app/stable/1.0.0", &format!("machine-{i}")) / 10)] += 1;
        }
        for c in counts {
            assert!((850..1150).contains(&c), "uneven cohorts: {counts:?}");
        }
        // Another release samples other devices.
        let same = (0..1000)
            .filter(|i| {
                let d = format!("machine-{i}");
                (cohort("a/s/1", &d) < 10) == (cohort("a/s/2", &d) < 10)
            })
            .count();
        assert!(same < 1000);
    }
}
