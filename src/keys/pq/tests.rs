//! The PQ stanza against the spec's example key and the CCTV vectors (fixtures/cctv-age).

use std::io::Read;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::{Identity, Recipient};

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/cctv-age")
}

#[test]
fn the_spec_example_identity_derives_the_spec_example_recipient() {
    let text = std::fs::read_to_string(vectors().join("spec-example.txt")).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let (id, recipient) = (lines.next().unwrap(), lines.next().unwrap());
    let id: Identity = id.parse().unwrap();
    assert_eq!(id.to_public().to_string(), recipient);
    let parsed: Recipient = recipient.parse().unwrap();
    assert_eq!(parsed.to_string(), recipient);
    assert_eq!(
        id.to_secret_string().as_str(),
        text.lines().nth(1).unwrap(),
        "identities round-trip in age's upper case"
    );
}

#[test]
fn refuses_malformed_keys() {
    let id = Identity::generate();
    let r = id.to_public().to_string();
    // One flipped character breaks the checksum; an X25519 key has the wrong HRP.
    let mut bad = r.clone().into_bytes();
    let last = bad.len() - 1;
    bad[last] = if bad[last] == b'q' { b'p' } else { b'q' };
    assert!(
        String::from_utf8(bad)
            .unwrap()
            .parse::<Recipient>()
            .is_err()
    );
    let classic = age::x25519::Identity::generate();
    assert!(
        classic
            .to_public()
            .to_string()
            .parse::<Recipient>()
            .is_err()
    );
    assert!(
        age::secrecy::ExposeSecret::expose_secret(&classic.to_string())
            .parse::<Identity>()
            .is_err()
    );
    assert!(r.parse::<Identity>().is_err());
    assert!(format!("{id:?}").contains("<secret>"));
}

#[test]
fn wraps_so_that_the_identity_unwraps() {
    let id = Identity::generate();
    let r = id.to_public();
    let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).unwrap();
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).unwrap();
    std::io::Write::write_all(&mut w, b"data key").unwrap();
    w.finish().unwrap();
    let header = String::from_utf8_lossy(&out[..out.len().min(200)]).into_owned();
    assert!(header.contains("\n-> mlkem768x25519 "), "{header}");
    assert_eq!(decrypt(&out, &[&id]).unwrap(), b"data key");
    // Another identity does not match; the stanza is not misread as malformed.
    assert!(matches!(
        decrypt(&out, &[&Identity::generate()]),
        Err(age::DecryptError::NoMatchingKeys)
    ));
}

fn decrypt(file: &[u8], ids: &[&dyn age::Identity]) -> Result<Vec<u8>, age::DecryptError> {
    let d = age::Decryptor::new(file)?;
    let mut out = Vec::new();
    d.decrypt(ids.iter().copied())?.read_to_end(&mut out)?;
    Ok(out)
}

#[test]
fn cctv_vectors() {
    let mut seen = 0;
    for entry in std::fs::read_dir(vectors()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.starts_with("hybrid") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let split = bytes.windows(2).position(|w| w == b"\n\n").unwrap();
        let header = std::str::from_utf8(&bytes[..split]).unwrap();
        let file = &bytes[split + 2..];
        let field = |k: &'static str| {
            header
                .lines()
                .filter_map(move |l| l.strip_prefix(k).and_then(|r| r.strip_prefix(": ")))
        };
        let expect = field("expect").next().unwrap();
        let mut pq = Vec::new();
        let mut classic = Vec::new();
        for id in field("identity") {
            if id.starts_with("AGE-SECRET-KEY-PQ-") {
                pq.push(id.parse::<Identity>().unwrap());
            } else {
                classic.push(id.parse::<age::x25519::Identity>().unwrap());
            }
        }
        let ids: Vec<&dyn age::Identity> = pq
            .iter()
            .map(|i| i as &dyn age::Identity)
            .chain(classic.iter().map(|i| i as &dyn age::Identity))
            .collect();
        let got = decrypt(file, &ids);
        match expect {
            "success" => {
                let plain = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                let want = field("payload").next().unwrap();
                let hex: String = Sha256::digest(&plain)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(hex, want, "{name}");
            }
            "no match" => assert!(
                matches!(got, Err(age::DecryptError::NoMatchingKeys)),
                "{name}: {:?}",
                got.map(|_| ())
            ),
            "header failure" => assert!(
                matches!(
                    got,
                    Err(age::DecryptError::InvalidHeader | age::DecryptError::UnknownFormat)
                ),
                "{name}: {:?}",
                got.map(|_| ())
            ),
            other => assert!(got.is_err(), "{name}: expect {other}"),
        }
        seen += 1;
    }
    assert_eq!(seen, 17, "every copied vector ran");
}
