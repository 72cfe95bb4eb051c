//! Single use of toolsetlink's nonces (issue 14): the same signed request sent at the same
//! moment to two `wrangler dev` instances that share the nonce Durable Objects, as two
//! locations of one deployment, is accepted exactly once, a thousand times over.

use e2e_tests::Edge;
use e2e_tests::signed::{Sig, as_pairs, assert_err};
use serde_json::json;
use std::sync::Barrier;

const CONFIG: &str = "/v1/configuration/upgrade";
const CONFIG_KEY: &str = "q1hfB1VUQaK9VksTZGPU1Q";
const TRIES: usize = 1_000;

#[test]
fn a_nonce_is_accepted_once_across_two_locations() {
    let edge = Edge::start();
    let peer = edge.start_peer();
    let body = json!({"configurationKey": CONFIG_KEY, "versionCode": 1}).to_string();
    // Every try's request, signed once: both locations get the same bytes.
    let tries: Vec<_> = (0..TRIES)
        .map(|_| Sig::new(CONFIG, &body).headers())
        .collect();
    // Each location's thread sends try i when the other is ready to send it too.
    let ready = Barrier::new(2);
    let send_all = |at: &Edge| {
        tries
            .iter()
            .map(|headers| {
                ready.wait();
                at.send("POST", CONFIG, &as_pairs(headers), Some(body.as_bytes()))
            })
            .collect::<Vec<_>>()
    };
    let (here, there) = std::thread::scope(|scope| {
        let here = scope.spawn(|| send_all(&edge));
        let there = scope.spawn(|| send_all(&peer));
        (here.join().expect("thread"), there.join().expect("thread"))
    });
    let mut won_here = 0;
    for (i, (a, b)) in here.iter().zip(&there).enumerate() {
        let (ok, refused) = match (a.status, b.status) {
            (200, _) => {
                won_here += 1;
                (a, b)
            }
            (_, 200) => (b, a),
            _ => panic!("try {i}: neither accepted: {} {}", a.text, b.text),
        };
        assert_eq!(ok.json()["code"], 200, "try {i}: {}", ok.text);
        assert_err(
            refused,
            (401, 401001, "Invalid X-Nonce: nonce already used"),
            &format!("try {i}: the second use"),
        );
    }
    // Both locations answered first some of the time: the race was real.
    eprintln!(
        "{TRIES} tries: first at this location {won_here}, at the other {}",
        TRIES - won_here
    );
}

#[test]
fn a_replay_after_the_first_use_is_refused_at_the_other_location() {
    let edge = Edge::start();
    let peer = edge.start_peer();
    let body = json!({"configurationKey": CONFIG_KEY, "versionCode": 1}).to_string();
    let headers = Sig::new(CONFIG, &body).headers();
    let first = edge.send("POST", CONFIG, &as_pairs(&headers), Some(body.as_bytes()));
    assert_eq!(first.status, 200, "{}", first.text);
    for (at, name) in [(&peer, "the other location"), (&edge, "the same location")] {
        let r = at.send("POST", CONFIG, &as_pairs(&headers), Some(body.as_bytes()));
        assert_err(
            &r,
            (401, 401001, "Invalid X-Nonce: nonce already used"),
            &format!("replayed at {name}"),
        );
    }
    // A fresh nonce is still accepted at the other location: its own KV holds the credentials.
    let fresh = Sig::new(CONFIG, &body).headers();
    let r = peer.send("POST", CONFIG, &as_pairs(&fresh), Some(body.as_bytes()));
    assert_eq!(r.status, 200, "{}", r.text);
}
