//! The committed include/plexctl.h is exactly what the pinned cbindgen generates from ffi/src.
//! `PLEXCTL_BLESS=1 cargo test -p plexctl-ffi --test header` rewrites it.

use std::path::Path;

#[test]
fn header_is_fresh() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("the header generates")
        .write(&mut generated);
    let committed_path = crate_dir.join("../include/plexctl.h");
    if std::env::var_os("PLEXCTL_BLESS").is_some() {
        std::fs::write(&committed_path, &generated).unwrap();
    }
    let committed = std::fs::read(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/plexctl.h is stale: regenerate with PLEXCTL_BLESS=1 cargo test -p plexctl-ffi --test header"
    );
}

#[test]
fn version_macros_match_the_crate() {
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/plexctl.h"))
            .unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        header.contains(&format!("#define PLEXCTL_VERSION_STRING \"{version}\"")),
        "bump the version macros in cbindgen.toml"
    );
    let mut parts = version.split('.');
    for name in ["MAJOR", "MINOR", "PATCH"] {
        assert!(header.contains(&format!(
            "#define PLEXCTL_VERSION_{name} {}",
            parts.next().unwrap()
        )));
    }
}
