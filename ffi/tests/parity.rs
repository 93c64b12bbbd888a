//! Every door exposes the same operations and result fields under the same names: the table in
//! tests/parity.json names the operations and the result types; every pub field of each core
//! result struct must then be a C accessor in include/plexctl.h, a property in the Python stubs and
//! a field of the Go struct. A field added to core fails here until each door has it. An operation
//! C cannot name as core does carries its C name and why; a result's withheld fields (secrets no
//! door hands out) must exist in core and be absent from every door.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn core_sources() -> String {
    fn walk(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
                out.push('\n');
            }
        }
    }
    let mut all = String::new();
    walk(&root().join("core/src"), &mut all);
    all
}

/// The text from `start` to the first line that is exactly `end` after it.
fn block<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)?;
    let rest = &text[from..];
    let to = rest.find(end).unwrap_or(rest.len());
    Some(&rest[..to])
}

/// Go's name for a snake_case name: CamelCase, with initialisms upper-cased.
fn go_name(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| match part {
            "id" | "kid" | "url" | "uri" | "json" | "api" => part.to_ascii_uppercase(),
            _ => {
                let mut c = part.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
        })
        .collect()
}

/// An operation entry: `"op"` (the same name everywhere), or `{"name": "op", "c": "c_name",
/// "why": ...}` when C cannot use the name (e.g. `plexctl_status` is the status enum type).
fn operation(entry: &serde_json::Value) -> (&str, &str) {
    match entry.as_str() {
        Some(op) => (op, op),
        None => {
            let op = entry["name"].as_str().expect("an operation has a name");
            assert!(
                entry["why"].is_string(),
                "operation {op}: a C name of its own says why"
            );
            (op, entry["c"].as_str().unwrap_or(op))
        }
    }
}

/// A result's `"withheld"` fields: secrets that stay inside the library in every door.
fn withheld(result: &serde_json::Value) -> Vec<String> {
    result["withheld"]
        .as_array()
        .map_or_else(Vec::new, |fields| {
            fields
                .iter()
                .map(|f| f.as_str().unwrap().to_owned())
                .collect()
        })
}

/// The pub fields of `pub struct name` in core.
fn core_fields(core: &str, name: &str) -> Vec<String> {
    let body = block(core, &format!("pub struct {name} {{"), "\n}")
        .unwrap_or_else(|| panic!("core has no pub struct {name}"));
    body.lines()
        .filter_map(|l| l.trim().strip_prefix("pub "))
        .filter_map(|l| l.split_once(':').map(|(f, _)| f.trim().to_owned()))
        .collect()
}

/// The field names declared in Go's `type name struct`, comma-separated lists included.
fn go_fields(go: &str, name: &str) -> Vec<String> {
    let body = block(go, &format!("type {name} struct {{"), "\n}")
        .unwrap_or_else(|| panic!("Go has no type {name} struct"));
    body.lines()
        .skip(1)
        .map(|l| l.split("//").next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .flat_map(|l| {
            let names = l.rsplit_once(char::is_whitespace).map_or(l, |(n, _)| n);
            names
                .split(',')
                .map(|n| n.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_door_has_every_operation_and_field_under_one_name() {
    let table: serde_json::Value = serde_json::from_str(&read("tests/parity.json")).unwrap();
    let core = core_sources();
    let header = read("include/plexctl.h");
    let pyi = read("python/python/plexctl/_plexctl.pyi");
    let go = read("ffi/go/plexctl.go");
    let mut missing = Vec::new();

    let client_pyi = block(&pyi, "class Client:", "\nclass ").unwrap();
    for op in table["operations"].as_array().unwrap() {
        let (op, c_op) = operation(op);
        let checks = [
            ("core", core.contains(&format!("pub fn {op}("))),
            ("C", header.contains(&format!(" plexctl_{c_op}("))),
            ("Python", client_pyi.contains(&format!("def {op}("))),
            (
                "Go",
                go.contains(&format!("func (c *Client) {}(", go_name(op))),
            ),
        ];
        for (door, ok) in checks {
            if !ok {
                missing.push(format!("{door}: operation {op}"));
            }
        }
    }

    let lists: Vec<&str> = table["c_lists"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for result in table["results"].as_array().unwrap() {
        let name = |door: &str| result[door].as_str().unwrap();
        let fields = core_fields(&core, name("core"));
        assert!(!fields.is_empty(), "{} has no fields", name("core"));
        let class = block(&pyi, &format!("class {}:", name("python")), "\nclass ")
            .unwrap_or_else(|| panic!("the stubs have no class {}", name("python")));
        let go_struct = go_fields(&go, name("go"));
        for f in withheld(result) {
            // A secret no door hands out (the device code): it must exist in core, and in no door.
            if !fields.contains(&f) {
                missing.push(format!(
                    "core: {}.{f} (withheld, but not a field)",
                    name("core")
                ));
            }
            if header.contains(&format!("{}_{f}(", name("c")))
                || class.contains(&format!("def {f}(self)"))
                || go_struct.contains(&go_name(&f))
            {
                missing.push(format!(
                    "withheld {}.{f} is exposed by a door",
                    name("core")
                ));
            }
        }
        for f in fields.iter().filter(|f| !withheld(result).contains(f)) {
            let c_ok = if lists.contains(&f.as_str()) {
                header.contains(&format!("{}_{f}_len(", name("c")))
                    && header.contains(&format!("{}_{f}_get(", name("c")))
            } else {
                header.contains(&format!(" *{}_{f}(", name("c")))
                    || header.contains(&format!(" {}_{f}(", name("c")))
            };
            if !c_ok {
                missing.push(format!("C: {}_{f}", name("c")));
            }
            if !class.contains(&format!("def {f}(self)")) {
                missing.push(format!("Python: {}.{f}", name("python")));
            }
            if !go_struct.contains(&go_name(f)) {
                missing.push(format!("Go: {}.{}", name("go"), go_name(f)));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "missing from a door:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn go_names_follow_the_rule() {
    assert_eq!(go_name("peer_node_id"), "PeerNodeID");
    assert_eq!(go_name("current_kid"), "CurrentKID");
    assert_eq!(
        go_name("estimated_duration_seconds"),
        "EstimatedDurationSeconds"
    );
    assert_eq!(
        go_name("verification_uri_complete"),
        "VerificationURIComplete"
    );
}

#[test]
fn operation_entries_name_their_c_function() {
    assert_eq!(
        operation(&serde_json::json!("logout")),
        ("logout", "logout")
    );
    let status = serde_json::json!({"name": "status", "c": "auth_status", "why": "a type"});
    assert_eq!(operation(&status), ("status", "auth_status"));
    let result = serde_json::json!({"core": "DeviceAuthorization", "withheld": ["device_code"]});
    assert_eq!(withheld(&result), ["device_code"]);
    assert!(withheld(&serde_json::json!({"core": "Whoami"})).is_empty());
}
