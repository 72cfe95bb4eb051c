use super::*;

fn seed(n: u8) -> Ed25519Seed {
    Ed25519Seed::from_bytes(&[n; 32])
}

fn root_with(seeds: &[&Ed25519Seed], threshold: u64) -> Root {
    let keys: BTreeMap<_, _> = seeds.iter().map(|s| (s.keyid(), s.public_key())).collect();
    let role = Role {
        keyids: seeds.iter().map(|s| s.keyid()).collect(),
        threshold,
    };
    Root {
        type_: RoleType::Root,
        spec_version: SPEC_VERSION.into(),
        version: 1,
        expires: "2030-01-01T00:00:00Z".into(),
        consistent_snapshot: true,
        keys,
        roles: TOP_LEVEL_ROLES
            .iter()
            .map(|r| (r.to_string(), role.clone()))
            .collect(),
    }
}

#[test]
fn sign_then_verify_round_trips_through_bytes() {
    let (a, b, c) = (seed(1), seed(2), seed(3));
    let root = root_with(&[&a, &b, &c], 2);
    let md = sign_metadata(root.clone(), &[&a, &c]).expect("sign");
    let bytes = to_bytes(&md).expect("bytes");
    let raw = parse(&bytes).expect("parse");
    assert_eq!(
        verify_role(&raw, &root.keys, root.role("root").expect("role")).expect("ok"),
        2
    );
    let back: Root = typed(&raw).expect("typed");
    assert_eq!(back, root);
    // The wire form is canonical JSON: the same content gives the same bytes.
    assert_eq!(
        to_bytes(&sign_metadata(root, &[&a, &c]).expect("sign")).expect("bytes"),
        bytes
    );
}

#[test]
fn below_threshold_is_error() {
    let (a, b) = (seed(1), seed(2));
    let root = root_with(&[&a, &b], 2);
    // One key signing twice counts once.
    let mut md = sign_metadata(serde_json::to_value(&root).expect("v"), &[&a, &a]).expect("s");
    let err = verify_role(&md, &root.keys, root.role("root").expect("role")).expect_err("1/2");
    assert!(
        matches!(
            err,
            TufError::Threshold {
                have: 1,
                need: 2,
                ..
            }
        ),
        "{err:?}"
    );
    // A key outside the role does not count.
    let outsider = seed(9);
    md.signatures.push(sign(&md.signed, &outsider).expect("s"));
    let err = verify_role(&md, &root.keys, root.role("root").expect("role")).expect_err("1/2");
    assert!(
        matches!(
            err,
            TufError::Threshold {
                have: 1,
                need: 2,
                ..
            }
        ),
        "{err:?}"
    );
    md.signatures.push(sign(&md.signed, &b).expect("s"));
    assert_eq!(
        verify_role(&md, &root.keys, root.role("root").expect("role")).expect("ok"),
        2
    );
}

#[test]
fn tampered_payload_fails_verification() {
    let a = seed(1);
    let root = root_with(&[&a], 1);
    let mut md = sign_metadata(serde_json::to_value(&root).expect("v"), &[&a]).expect("s");
    md.signed["version"] = Value::from(2);
    assert!(matches!(
        verify_role(&md, &root.keys, root.role("root").expect("role")),
        Err(TufError::Threshold {
            have: 0,
            need: 1,
            ..
        })
    ));
}

#[test]
fn unknown_fields_stay_signed() {
    let a = seed(1);
    let root = root_with(&[&a], 1);
    let mut v = serde_json::to_value(&root).expect("v");
    v["x-extra"] = Value::from("kept");
    let md = sign_metadata(v, &[&a]).expect("s");
    let raw = parse(&to_bytes(&md).expect("b")).expect("p");
    assert!(verify_role(&raw, &root.keys, root.role("root").expect("role")).is_ok());
}

#[test]
fn targets_serialise_without_absent_optionals() {
    let t = Targets {
        type_: RoleType::Targets,
        spec_version: SPEC_VERSION.into(),
        version: 3,
        expires: "2030-01-01T00:00:00Z".into(),
        targets: BTreeMap::from([("index.json".to_owned(), TargetFile::of_bytes(b"abc", None))]),
        delegations: None,
    };
    assert_eq!(
        String::from_utf8(canonical_signed(&t).expect("c")).expect("u"),
        r#"{"_type":"targets","expires":"2030-01-01T00:00:00Z","spec_version":"1.0.31","targets":{"index.json":{"hashes":{"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},"length":3}},"version":3}"#
    );
}
