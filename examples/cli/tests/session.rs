//! The README's session (`cargo run -p plexctl-cli --example session`) runs to the end against
//! the embedded emulator, and shows what it says it shows.

#[path = "../examples/session.rs"]
mod session;

#[test]
fn the_readme_session_runs() {
    let mut transcript = Vec::new();
    session::run(
        std::path::Path::new(env!("CARGO_BIN_EXE_plexctl")),
        &mut transcript,
    )
    .unwrap();
    let text = String::from_utf8(transcript).unwrap();
    for expected in [
        "# WARNING: this is the only time this plaintext will be displayed\npsk_prod_",
        "\nplaintext: psk_prod_",
        "-rw-------\nThe plaintext was written to access.psk",
        "exit=1\nplexctl: --client-secret must not be set",
        "affected_peer_count:  3\n",
        "\"already_pending\": true",
        "exit=4\nplexctl: key rotate: HTTP 404",
        "Revoked token ",
        "$ plexctl logout\nLogged out. Cleared profile \"default\".\n",
        "$ plexctl logout\nNo active session; nothing to do.\n",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(!text.contains("s3cret") && !text.contains("hunter2\n"));
}
