use super::*;

#[test]
fn seal_open_round_trip() {
    let (sk, pk) = generate_keypair();
    let sealed = seal(&pk, b"archive bytes").unwrap();
    assert!(sealed.starts_with(SEALED_MAGIC), "header");
    assert_eq!(
        &sealed[HEADER_V1_LEN..HEADER_V2_LEN],
        pk.key_id().as_bytes(),
        "the key id follows magic and schema version"
    );
    assert_eq!(sealed_key_id(&sealed).unwrap(), Some(pk.key_id()), "key id");
    assert_eq!(
        pk.key_id().to_hex(),
        pk.fingerprint(),
        "id is the fingerprint"
    );
    assert!(
        !sealed.windows(13).any(|w| w == b"archive bytes"),
        "plaintext must not appear in the sealed form"
    );
    assert_eq!(open(&sk, &sealed).unwrap(), b"archive bytes");
    let mut in_place = sealed.clone();
    open_in_place(&sk, &mut in_place).unwrap();
    assert_eq!(in_place, b"archive bytes", "opened in place");
    let again = SecretKey::from_bytes(&sk.to_bytes()).unwrap();
    assert_eq!(again.public_key(), pk, "secret key serializes");
    assert_eq!(
        PublicKey::from_hex(&pk.to_hex()).unwrap(),
        pk,
        "public key hex"
    );
    assert_eq!(KeyId::from_hex(&pk.fingerprint()).unwrap(), pk.key_id());
}

#[test]
fn several_keys_open_what_was_sealed_to_any_of_them() {
    let (a, pk_a) = generate_keypair();
    let (b, pk_b) = generate_keypair();
    let (c, _) = generate_keypair();
    let keys = [&a, &b];
    let cases = [
        ("v2 to A", seal(&pk_a, b"to a").unwrap(), 0, &b"to a"[..]),
        ("v2 to B", seal(&pk_b, b"to b").unwrap(), 1, &b"to b"[..]),
        (
            "v1 to A",
            seal_v1(&pk_a, b"old a").unwrap(),
            0,
            &b"old a"[..],
        ),
        (
            "v1 to B",
            seal_v1(&pk_b, b"old b").unwrap(),
            1,
            &b"old b"[..],
        ),
    ];
    for (case, sealed, want_index, want) in cases {
        let (plain, index) = open_any(&keys, &sealed).unwrap();
        assert_eq!((plain.as_slice(), index), (want, want_index), "case {case}");
        let mut buf = sealed.clone();
        assert_eq!(open_in_place_any(&keys, &mut buf).unwrap(), want_index);
        assert_eq!(buf, want, "case {case}, in place");
    }
    let to_c = seal(&c.public_key(), b"to c").unwrap();
    let err = open_any(&keys, &to_c).unwrap_err();
    assert!(
        matches!(err, Error::UnknownKey { sealed_to } if sealed_to == c.key_id()),
        "v2 to a key not held: {err}"
    );
    assert!(
        err.to_string().contains(&c.key_id().to_hex()),
        "names the key id: {err}"
    );
    let v1_to_c = seal_v1(&c.public_key(), b"to c").unwrap();
    assert!(
        matches!(open_any(&keys, &v1_to_c), Err(Error::Open)),
        "v1 to a key not held"
    );
    assert!(matches!(
        open_any(&[], &to_c),
        Err(Error::UnknownKey { .. })
    ));
}

#[test]
fn the_old_form_still_opens() {
    let (sk, pk) = generate_keypair();
    let sealed = seal_v1(&pk, b"stored before key ids").unwrap();
    assert!(sealed.starts_with(SEALED_MAGIC_V1), "version 1 header");
    assert_eq!(sealed.len(), HEADER_V1_LEN + ENC_LEN + 21 + TAG_LEN);
    assert_eq!(sealed_key_id(&sealed).unwrap(), None, "no key id");
    assert_eq!(open(&sk, &sealed).unwrap(), b"stored before key ids");
    let (other, _) = generate_keypair();
    assert!(
        matches!(open(&other, &sealed), Err(Error::Open)),
        "wrong key"
    );
}

#[test]
fn a_wrong_key_gives_a_clear_error() {
    let (_, pk) = generate_keypair();
    let (other, _) = generate_keypair();
    let sealed = seal(&pk, b"secret plaintext").unwrap();
    let err = open(&other, &sealed).unwrap_err();
    assert!(
        matches!(err, Error::WrongKey { sealed_to, key }
            if sealed_to == pk.key_id() && key == other.key_id()),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&pk.fingerprint()) && text.contains(&other.key_id().to_hex()),
        "names both key ids: {text}"
    );
    assert!(!text.contains("secret plaintext"), "opaque");
}

#[test]
fn a_tampered_key_id_fails() {
    let (a, pk_a) = generate_keypair();
    let (b, _) = generate_keypair();
    let sealed = seal(&pk_a, b"for a").unwrap();

    let mut flipped = sealed.clone();
    flipped[HEADER_V1_LEN] ^= 0x01;
    assert!(
        matches!(open(&a, &flipped), Err(Error::WrongKey { .. })),
        "a flipped id names no key given"
    );
    // Relabelled with B's id: picked for B, which cannot open it.
    let mut relabelled = sealed.clone();
    relabelled[HEADER_V1_LEN..HEADER_V2_LEN].copy_from_slice(b.key_id().as_bytes());
    assert!(
        matches!(open_any(&[&a, &b], &relabelled), Err(Error::Open)),
        "relabelled to another held key"
    );
    // The id is associated data: even A itself refuses the bundle once the id changed.
    for (case, bytes) in [("flipped", &flipped), ("relabelled", &relabelled)] {
        let mut buf = bytes.clone();
        assert!(
            matches!(open_body(&a, HEADER_V2_LEN, &mut buf), Err(Error::Open)),
            "case {case}: the right key, the id not checked first"
        );
    }
}

#[test]
fn failed_opens_leave_the_buffer_alone() {
    // open_in_place_any tries version 1 bundles key after key in the same buffer: a failed
    // attempt must not have decrypted anything.
    let (_, pk) = generate_keypair();
    let (other, _) = generate_keypair();
    for sealed in [
        seal_v1(&pk, b"keep me").unwrap(),
        seal(&pk, b"keep me").unwrap(),
    ] {
        let mut buf = sealed.clone();
        assert!(open_in_place(&other, &mut buf).is_err());
        assert_eq!(buf, sealed, "untouched after a failed open");
        let header_len = parse_header(&sealed).unwrap().0;
        assert!(open_body(&other, header_len, &mut buf).is_err());
        assert_eq!(buf, sealed, "untouched after a failed decryption");
    }
}

#[test]
fn failures_are_opaque_and_do_not_panic() {
    let (sk, pk) = generate_keypair();
    for (form, sealed) in [
        ("v1", seal_v1(&pk, b"secret plaintext").unwrap()),
        ("v2", seal(&pk, b"secret plaintext").unwrap()),
    ] {
        let header_len = parse_header(&sealed).unwrap().0;
        for i in [
            header_len,
            header_len + 20,
            header_len + 40,
            sealed.len() - 1,
        ] {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert!(
                matches!(open(&sk, &tampered), Err(Error::Open)),
                "{form}: flipped byte {i}"
            );
            assert!(
                matches!(open_in_place(&sk, &mut tampered), Err(Error::Open)),
                "{form}: flipped byte {i}, in place"
            );
        }
        let mut version = sealed.clone();
        version[4] = 2;
        assert!(
            matches!(
                open(&sk, &version),
                Err(Error::UnsupportedSchema { found: 2, .. })
            ),
            "{form}: other schema version"
        );
        for cut in [0, 4, 5, 13, 36, header_len + ENC_LEN + TAG_LEN - 1] {
            assert!(
                open(&sk, &sealed[..cut]).is_err(),
                "{form}: truncated to {cut}"
            );
            assert!(
                sealed_key_id(&sealed[..cut]).is_err(),
                "{form}: header of {cut}"
            );
        }
    }
    assert!(
        matches!(
            open(
                &sk,
                b"GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE"
            ),
            Err(Error::InvalidEnvelope)
        ),
        "bad magic"
    );
    let mut v3 = seal(&pk, b"x").unwrap();
    v3[3] = 3;
    assert!(
        matches!(open(&sk, &v3), Err(Error::InvalidEnvelope)),
        "unknown envelope version"
    );
    assert!(PublicKey::from_bytes(&[1; 31]).is_err(), "short key");
    assert!(KeyId::from_hex("abc").is_err(), "short key id");
    assert_eq!(format!("{sk:?}"), "SecretKey(..)", "debug hides key");
}
