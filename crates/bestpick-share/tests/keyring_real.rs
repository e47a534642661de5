//! The staging key in a real OS keyring (Secret Service via gnome-keyring on Linux).
//!
//! Run inside a throwaway D-Bus session with an unlocked keyring:
//! `XDG_DATA_HOME=$(mktemp -d) dbus-run-session -- bash -c 'echo -n pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test -p bestpick-share --test keyring_real'`
//! and with a locked one (daemon started without `--unlock`):
//! `XDG_DATA_HOME=$(mktemp -d) BESTPICK_TEST_KEYRING=locked dbus-run-session -- bash -c 'gnome-keyring-daemon --start --components=secrets >/dev/null; cargo test -p bestpick-share --test keyring_real'`
//! Without a D-Bus session the tests print a SKIP line and pass on a developer machine; under
//! CI (`CI=true`) they fail.

use bestpick_share::Error;
use bestpick_share::vault::{KeyStore, OsKeyring, Vault};

fn session_bus() -> bool {
    bestpick_testkit::keyring_session("the real keyring tests")
}

fn expect_locked() -> bool {
    std::env::var("BESTPICK_TEST_KEYRING").is_ok_and(|v| v == "locked")
}

fn test_entry() -> OsKeyring {
    let suffix = bestpick_bundle::random_hex(6).expect("randomness");
    OsKeyring::new("bestpick-test", &format!("staging-key-{suffix}"))
}

#[test]
fn real_keyring_keeps_the_staging_key() {
    if !session_bus() || expect_locked() {
        println!("SKIP real keyring round trip: no D-Bus session with an unlocked keyring");
        return;
    }
    let keys = test_entry();
    let first = match keys.staging_key() {
        Ok(k) => k,
        Err(Error::Keyring(msg)) if msg.contains("no keyring service") => {
            println!("SKIP real keyring round trip: {msg}");
            return;
        }
        Err(e) => panic!("keyring: {e}"),
    };
    assert_eq!(
        keys.staging_key().expect("second read"),
        first,
        "key persisted in the keyring"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let vault = Vault::open(dir.path(), &keys).expect("vault with the real key");
    vault.put("receipt-test", b"token").expect("put");
    let reopened = Vault::open(dir.path(), &keys).expect("reopen");
    assert_eq!(
        reopened.get("receipt-test").expect("get").as_deref(),
        Some(&b"token"[..])
    );
    for entry in std::fs::read_dir(dir.path()).expect("list") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        assert!(
            !bytes.windows(64).any(|w| w == hex_of(&first).as_bytes()),
            "the key never appears on disk"
        );
    }
    keys.delete_key().expect("clean up");
}

fn hex_of(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn locked_keyring_gives_a_clear_error() {
    if !session_bus() || !expect_locked() {
        println!("SKIP locked keyring test: set BESTPICK_TEST_KEYRING=locked in a D-Bus session");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Vault::open(dir.path(), &test_entry()).expect_err("a locked keyring must fail");
    let text = err.to_string();
    assert!(matches!(err, Error::Keyring(_)), "keyring error: {text}");
    assert!(
        text.contains("never stored on disk"),
        "says no key goes to disk: {text}"
    );
    assert!(
        std::fs::read_dir(dir.path())
            .expect("list")
            .next()
            .is_none(),
        "nothing written without a key"
    );
}
