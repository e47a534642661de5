//! `seal::open` as the collector calls it (`open_in_place`, and `open` for exports): arbitrary
//! envelope bytes with a fixed test key must give an error or the plaintext, never a panic;
//! both must agree. Then a sealed copy of the input, with one byte the input chooses altered,
//! must open only when unaltered.
#![no_main]

mod common;

use bestpick_bundle::{Error, SecretKey, open, open_in_place, seal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::init();
    let secret = SecretKey::from_bytes(&[7u8; 32]).expect("any 32 bytes are an X25519 key");
    let opened = open(&secret, data);
    let mut buf = data.to_vec();
    let in_place = open_in_place(&secret, &mut buf);
    match (&opened, &in_place) {
        (Ok(plain), Ok(())) => assert_eq!(plain, &buf, "both ways open alike"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "same error"),
        _ => panic!("open and open_in_place disagree"),
    }

    let Some((&pick, plaintext)) = data.split_first() else {
        return;
    };
    let sealed = seal(&secret.public_key(), plaintext).expect("seal");
    assert_eq!(open(&secret, &sealed).expect("round trip"), plaintext);
    let mut tampered = sealed.clone();
    let at = usize::from(pick) % tampered.len();
    tampered[at] ^= 1 << (pick % 8);
    assert!(
        matches!(
            open(&secret, &tampered),
            Err(Error::Open | Error::InvalidEnvelope | Error::UnsupportedSchema { .. })
        ),
        "a flipped bit at {at} is refused"
    );
});
