//! `seal::open` as the collector calls it (`open_in_place_any` over its keys, `open_any` for
//! exports; `open` and `open_in_place` with one key): arbitrary envelope bytes with fixed test
//! keys must give an error or the plaintext, never a panic; every way must agree. Then a sealed
//! copy of the input, with one byte the input chooses altered, must open only when unaltered.
#![no_main]

mod common;

use bestpick_bundle::{Error, SecretKey, open, open_any, open_in_place, open_in_place_any, seal};
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
    let other = SecretKey::from_bytes(&[9u8; 32]).expect("any 32 bytes are an X25519 key");
    let keys = [&other, &secret];
    let any = open_any(&keys, data);
    let mut buf_any = data.to_vec();
    let in_place_any = open_in_place_any(&keys, &mut buf_any);
    match (&any, &in_place_any) {
        (Ok((plain, i)), Ok(j)) => assert_eq!((plain, i), (&buf_any, j), "both ways open alike"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "same error"),
        _ => panic!("open_any and open_in_place_any disagree"),
    }
    if let Ok(plain) = &opened {
        // What opens with one of the keys opens with the set, found under that key.
        assert_eq!(any.as_ref().ok(), Some(&(plain.clone(), 1)), "the set opens it too");
    }

    let Some((&pick, plaintext)) = data.split_first() else {
        return;
    };
    let sealed = seal(&secret.public_key(), plaintext).expect("seal");
    assert_eq!(open(&secret, &sealed).expect("round trip"), plaintext);
    assert_eq!(open_any(&keys, &sealed).expect("round trip"), (plaintext.to_vec(), 1));
    let mut tampered = sealed.clone();
    let at = usize::from(pick) % tampered.len();
    tampered[at] ^= 1 << (pick % 8);
    assert!(
        matches!(
            open(&secret, &tampered),
            Err(Error::Open
                | Error::InvalidEnvelope
                | Error::UnsupportedSchema { .. }
                | Error::WrongKey { .. })
        ),
        "a flipped bit at {at} is refused"
    );
    assert!(
        open_any(&keys, &tampered).is_err(),
        "a flipped bit at {at} is refused by the set too"
    );
});
