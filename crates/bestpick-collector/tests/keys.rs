//! Where the collector's private key may come from (a key file outside the data folder, or
//! the environment; never the data folder itself, nor a file others may read), and who may
//! export and purge (an operator with a token).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use bestpick_bundle::generate_keypair;
use bestpick_collector::keys::{KEY_ENV, LEGACY_KEY_FILE};

fn serve(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bestpick-collector"));
    c.args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env_remove(KEY_ENV);
    c
}

fn refused(mut command: Command) -> String {
    let out = command.output().expect("run collector");
    assert!(!out.status.success(), "should be refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_key_can_come_from_the_environment_and_never_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (secret, public) = generate_keypair();
    let hex: String = secret
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut child = serve(&data)
        .env(KEY_ENV, &hex)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.contains(&public.fingerprint()),
        "serves the key from {KEY_ENV}: {line}"
    );
    assert!(
        !data.join(LEGACY_KEY_FILE).exists(),
        "no key written beside the bundles"
    );

    let mut bad = serve(&data);
    bad.env(KEY_ENV, "not-a-key-but-a-secret-value");
    let stderr = refused(bad);
    assert!(
        stderr.contains(KEY_ENV) && stderr.contains("64 hex digits"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("secret-value"),
        "the value is never shown: {stderr}"
    );
}

#[test]
fn no_key_a_key_beside_the_bundles_or_a_shared_key_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let stderr = refused(serve(&data));
    assert!(
        stderr.contains("--key-file") && stderr.contains(KEY_ENV),
        "{stderr}"
    );

    // A data folder from before key files: its key must move out first.
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join(LEGACY_KEY_FILE), generate_keypair().0.to_bytes()).unwrap();
    let mut with_file = serve(&data);
    with_file.arg("--key-file").arg(common::key_file(&data));
    let stderr = refused(with_file);
    assert!(stderr.contains("beside the bundles"), "{stderr}");
    std::fs::remove_file(data.join(LEGACY_KEY_FILE)).unwrap();

    let mut inside = serve(&data);
    inside.arg("--key-file").arg(data.join("collector.pem"));
    let stderr = refused(inside);
    assert!(stderr.contains("inside the data folder"), "{stderr}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = tmp.path().join("shared.key");
        std::fs::write(&key, generate_keypair().0.to_bytes()).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut shared = serve(&data);
        shared.arg("--key-file").arg(&key);
        let stderr = refused(shared);
        assert!(
            stderr.contains("group or others") && stderr.contains("chmod 600"),
            "{stderr}"
        );
    }
}

#[test]
fn export_and_purge_need_an_operator_and_name_them() {
    use bestpick_collector::{DirStore, Store};
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let collector = common::Collector::start(&data, &[]);
    collector.stop();
    let run = |args: &[&str], token: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bestpick-collector"));
        c.args(args).env_remove("BESTPICK_OPERATOR_TOKEN");
        if let Some(t) = token {
            c.env("BESTPICK_OPERATOR_TOKEN", t);
        }
        c.output().unwrap()
    };
    let d = data.to_str().unwrap();
    let key = common::key_file(&data);
    let k = key.to_str().unwrap();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    let export = [
        "export",
        "--data",
        d,
        "--key-file",
        k,
        "--dataset",
        "v1",
        "--out",
        o,
    ];
    for (args, token) in [
        (&export[..], None),
        (&["purge", "--data", d][..], Some("f00d")),
    ] {
        let refused = run(args, token);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success(), "{args:?} refused: {stderr}");
        assert!(stderr.contains("BESTPICK_OPERATOR_TOKEN"), "{stderr}");
    }
    assert!(!out.exists(), "nothing exported without an operator");

    let added = run(&["operators", "add", "ana", "--data", d], None);
    assert!(added.status.success());
    let printed = String::from_utf8_lossy(&added.stdout);
    let token = printed.lines().last().unwrap().to_owned();
    assert_eq!(token.len(), 64, "the token is the last line: {printed}");
    assert!(run(&export, Some(&token)).status.success());
    assert!(run(&["purge", "--data", d], Some(&token)).status.success());
    let log = DirStore::open(&data).unwrap().access_log().unwrap();
    let by_ana: Vec<&str> = log
        .iter()
        .filter(|(_, actor, _)| actor == "ana")
        .map(|(_, _, action)| action.as_str())
        .collect();
    assert!(
        by_ana.iter().any(|a| a.starts_with("export started"))
            && by_ana.iter().any(|a| a.starts_with("export dataset=v1"))
            && by_ana.iter().any(|a| a.starts_with("purge")),
        "the access log names the operator: {log:?}"
    );
    let again = run(&["operators", "add", "ana", "--data", d], None);
    assert!(!again.status.success(), "a name is added once");
}
