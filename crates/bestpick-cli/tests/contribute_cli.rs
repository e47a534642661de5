//! `bestpick contribute …` end to end through the real binaries: a collector process on
//! loopback and the CLI with the OS keyring.
//!
//! Needs a Secret Service; run it in a throwaway D-Bus session:
//! `XDG_DATA_HOME=$(mktemp -d) dbus-run-session -- bash -c 'echo -n pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test -p bestpick-cli --test contribute_cli'`
//! On a developer machine it prints a SKIP line and passes when there is no D-Bus session or
//! the `bestpick-collector` binary has not been built (a workspace `cargo test` builds it);
//! under CI (`CI=true`, where `./dev test` provides both) either absence fails. Uses std (and
//! serde_json to read `--json` answers).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const BESTPICK: &str = env!("CARGO_BIN_EXE_bestpick");

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn collector_binary() -> Option<PathBuf> {
    let dir = Path::new(BESTPICK).parent()?;
    let name = format!("bestpick-collector{}", std::env::consts::EXE_SUFFIX);
    let path = dir.join(name);
    path.is_file().then_some(path)
}

fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("bestpick-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

struct Cli {
    catalog: PathBuf,
    collector: String,
}

impl Cli {
    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(BESTPICK);
        cmd.arg("contribute").arg("--catalog").arg(&self.catalog);
        cmd.arg("--collector").arg(&self.collector);
        cmd.args(args);
        cmd.output().expect("run bestpick")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "bestpick contribute {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

#[test]
fn contribute_through_the_cli() {
    if !bestpick_testkit::keyring_session("contribute CLI test") {
        return;
    }
    let Some(collector_bin) = collector_binary() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI=true: bestpick-collector must be built next to bestpick"
        );
        println!("SKIP contribute CLI test: bestpick-collector binary not built next to bestpick");
        return;
    };

    let tmp = temp_dir("contribute-cli");
    let data = tmp.join("collector");
    let mut child = Command::new(&collector_bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--key-file")
        .arg(tmp.join("collector.key"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn collector");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("collector address");
    let _collector = KillOnDrop(child);
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("URL printed")
        .to_owned();

    let cli = Cli {
        catalog: tmp.join("catalog.sqlite"),
        collector: url,
    };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bestpick-share/tests/fixtures");
    let photo = fixtures.join("piexif_r_canon.jpg");
    let raw = fixtures.join("exiftool_DNG.dng");
    let photo_arg = photo.to_str().expect("utf-8 path");

    // Off by default.
    let out = cli.run(&["add", photo_arg]);
    assert!(!out.status.success(), "add before consent must fail");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("consent"),
        "says why"
    );

    let terms = cli.ok(&["consent", "--show"]);
    assert!(terms.contains("up to 5 years"), "terms shown");
    assert!(
        cli.ok(&["consent", "--yes", "--age-decade", "30-39"])
            .contains("consent recorded")
    );

    let out = cli.run(&["add", photo_arg, raw.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("RAW files are never sent"),
        "raw"
    );

    let preview = cli.ok(&[
        "preview",
        "--out",
        tmp.join("preview").to_str().expect("utf-8"),
    ]);
    assert!(
        preview.contains("\"age_decade\": \"30-39\""),
        "manifest shown: {preview}"
    );
    assert!(
        preview.contains("exactly what will leave"),
        "preview wording"
    );

    let sent = cli.ok(&["send"]);
    assert!(sent.contains("sent "), "send: {sent}");

    let added = Command::new(&collector_bin)
        .args(["operators", "add", "cli-test", "--data"])
        .arg(&data)
        .output()
        .expect("operators add");
    assert!(added.status.success(), "operators add");
    let token = String::from_utf8_lossy(&added.stdout)
        .lines()
        .last()
        .expect("token line")
        .to_owned();
    let export = Command::new(&collector_bin)
        .env("BESTPICK_OPERATOR_TOKEN", token)
        .args(["export", "--dataset", "cli-test", "--data"])
        .arg(&data)
        .arg("--key-file")
        .arg(tmp.join("collector.key"))
        .arg("--out")
        .arg(tmp.join("export"))
        .output()
        .expect("export");
    assert!(export.status.success(), "export");

    let status = cli.ok(&["status"]);
    assert!(
        status.contains("received, used in datasets cli-test"),
        "status: {status}"
    );

    let withdrawn = cli.ok(&["withdraw"]);
    assert!(
        withdrawn.contains("deleted at the collector"),
        "withdraw: {withdrawn}"
    );
    let status = cli.ok(&["status", "--json"]);
    assert!(
        status.contains("\"state\": \"deleted\""),
        "status after withdraw: {status}"
    );

    // Every request made is in the network log, with its purpose and its answer.
    let log = cli.ok(&["log"]);
    let origin = cli.collector.trim_end_matches('/');
    for needle in [
        format!("GET {origin}  fetch the collector key"),
        format!("POST {origin}  upload bundle "),
        "answered 201".to_owned(),
        format!("GET {origin}  check the status of bundle "),
        format!("DELETE {origin}  withdraw: delete bundle "),
        format!("only to {origin}"),
    ] {
        assert!(log.contains(&needle), "log has {needle:?}: {log}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&cli.ok(&["log", "--json"])).expect("log --json");
    let requests = json["requests"].as_array().expect("requests");
    // consent: none; preview: key; send: key + upload; status: one; withdraw: one delete.
    assert_eq!(requests.len(), 5, "one entry per request: {json}");
    let upload = &requests[2];
    assert!(
        upload["bytes_sent"].as_u64().is_some_and(|b| b > 1000),
        "the sealed bundle's size: {upload}"
    );

    let ledger = tmp.join("ledger-export.json");
    cli.ok(&["export-ledger", "--out", ledger.to_str().expect("utf-8")]);
    let text = std::fs::read_to_string(&ledger).expect("ledger written");
    assert!(text.contains("withdrawn_at"), "ledger export");
    assert!(
        !tmp.join("contributions/ledger.json").exists(),
        "the ledger is kept in the catalog, not in a JSON file"
    );

    let _ = std::fs::remove_dir_all(&tmp);
}

/// A contributor who consented with a build that kept the ledger in
/// `contributions/ledger.json` keeps their records: the first `contribute` command moves them
/// into the catalog, once.
#[test]
fn an_old_json_ledger_moves_into_the_catalog() {
    if !bestpick_testkit::keyring_session("ledger import test") {
        return;
    }

    let tmp = temp_dir("ledger-import");
    let catalog = tmp.join("catalog.sqlite");
    let old = tmp.join("contributions/ledger.json");
    std::fs::create_dir_all(old.parent().expect("parent")).expect("contributions dir");
    std::fs::write(
        &old,
        r#"{
  "consents": [
    {
      "terms_version": 1,
      "accepted_at": 1700000000,
      "minor_with_parental_permission": false,
      "buckets": { "age_decade": "30-39" },
      "withdrawn_at": null
    }
  ],
  "contributions": [
    {
      "anonymous_id": "0123456789abcdef0123456789abcdef",
      "collector": "http://127.0.0.1:9",
      "bundle_id": "bundle-from-json",
      "image_count": 2,
      "created_at": 1700000100,
      "sent_at": 1700000200,
      "state": "received",
      "datasets": ["old-dataset"],
      "last_error": null
    }
  ]
}"#,
    )
    .expect("old ledger");

    let status = |what: &str| -> Output {
        let out = Command::new(BESTPICK)
            .arg("contribute")
            .arg("--catalog")
            .arg(&catalog)
            .args(["status", "--json"])
            .output()
            .expect("run bestpick");
        assert!(
            out.status.success(),
            "{what}: status failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };

    let first = status("first run");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("moved 1 consent and 1 contribution"),
        "import reported: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&first.stdout);
    let cases = [
        ("consent kept", "\"accepted_at\": 1700000000"),
        ("buckets kept", "\"age_decade\": \"30-39\""),
        ("contribution kept", "\"bundle_id\": \"bundle-from-json\""),
        ("state kept", "\"state\": \"received\""),
        ("datasets kept", "\"old-dataset\""),
        ("sent time kept", "\"sent_at\": 1700000200"),
    ];
    for (name, needle) in cases {
        assert!(stdout.contains(needle), "{name}: {stdout}");
    }
    assert!(!old.exists(), "ledger.json moved aside");
    assert!(
        tmp.join("contributions/ledger.json.imported").exists(),
        "kept as ledger.json.imported"
    );

    let second = status("second run");
    assert!(
        !String::from_utf8_lossy(&second.stderr).contains("moved"),
        "imported only once"
    );
    assert_eq!(
        String::from_utf8_lossy(&second.stdout),
        stdout,
        "the catalog answers the same"
    );

    let _ = std::fs::remove_dir_all(&tmp);
}
