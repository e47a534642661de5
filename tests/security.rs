//! The app's content security policy (tauri.conf.json) allows no remote origin at all: every
//! source of every directive is the app itself, its own `bp:` scheme, Tauri's IPC, or inline
//! data. (The WebKit end-to-end suite checks that a remote image is refused in the window.)

use serde_json::Value;

/// Sources a directive may name: none reaches beyond the machine.
const LOCAL_SOURCES: &[&str] = &[
    "'self'",
    "'none'",
    "ipc:",
    "http://ipc.localhost",
    "bp:",
    "http://bp.localhost",
    "data:",
];

fn policy() -> serde_json::Map<String, Value> {
    let conf: Value = serde_json::from_str(include_str!("../tauri.conf.json")).expect("JSON");
    conf["app"]["security"]["csp"]
        .as_object()
        .expect("a content security policy is set, directive by directive")
        .clone()
}

#[test]
fn the_policy_names_no_remote_origin() {
    let policy = policy();
    for directive in ["default-src", "script-src", "connect-src", "img-src"] {
        assert!(policy.contains_key(directive), "{directive} is set");
    }
    for (directive, sources) in &policy {
        let sources = sources.as_str().expect("sources as one string");
        for source in sources.split_whitespace() {
            let inline_style = directive == "style-src" && source == "'unsafe-inline'";
            assert!(
                LOCAL_SOURCES.contains(&source) || inline_style,
                "{directive} allows {source}: only the app, its schemes and inline data may be named"
            );
        }
    }
}

#[test]
fn scripts_come_only_from_the_app() {
    assert_eq!(policy()["script-src"], "'self'");
    assert_eq!(policy()["default-src"], "'self'");
}
