//! Every request parser of the five protocols on mutated requests (`e2e_tests::fuzz`): none
//! panics. The same target runs under cargo-fuzz from `fuzz/` (`protocol_request`).

use e2e_tests::fuzz;

#[test]
fn no_protocol_parser_panics_on_mutated_requests() {
    let seeds = fuzz::protocol_seeds();
    // Each parser gets its share of the mutations: the seeds are one per parser.
    fuzz::run(
        "protocol_request",
        &seeds,
        fuzz::iterations(),
        fuzz::protocol_request,
    );
}

/// The driver finds a panic when there is one (so the test above can fail).
#[test]
#[should_panic(expected = "panicked on input")]
fn the_driver_reports_a_panicking_target() {
    fuzz::run("demo", &[b"{}".to_vec()], 100, |input| {
        assert!(input.len() < 3, "a longer input");
    });
}
