//! The collector's HPKE key pair, created on first start.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use bestpick_bundle::{PublicKey, SecretKey, generate_keypair};

/// File name of the secret key inside the data dir (mode 0600).
pub const SECRET_KEY_FILE: &str = "collector.key";

/// Loads the key pair from `dir`, creating it (0600) when absent.
pub fn load_or_create(dir: &Path) -> anyhow::Result<(SecretKey, PublicKey)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(SECRET_KEY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let sk = SecretKey::from_bytes(&bytes)
                .with_context(|| format!("{} is not a collector key", path.display()))?;
            let pk = sk.public_key();
            Ok((sk, pk))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (sk, pk) = generate_keypair();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options
                .open(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            file.write_all(&sk.to_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            Ok((sk, pk))
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let (_, pk1) = load_or_create(dir.path()).unwrap();
        let (_, pk2) = load_or_create(dir.path()).unwrap();
        assert_eq!(pk1, pk2, "same key on second start");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_KEY_FILE))
                .unwrap()
                .permissions();
            assert_eq!(mode.mode() & 0o777, 0o600, "secret key file mode");
        }
    }
}
