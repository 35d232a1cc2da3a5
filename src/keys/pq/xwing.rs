//! MLKEM768-X25519 (X-Wing) as an HPKE KEM for the `hpke` crate the age crates use (0.12).
//!
//! Why not a ready-made X-Wing crate: RustCrypto's `x-wing` (and `hpke` 0.15, which bundles it)
//! need `kem` 0.3, while `age` 0.12 pins `ml-kem` 0.2 and so `kem` 0.3.0-pre.0, and Cargo cannot
//! hold both in one build. So this file composes the KEM from the same primitive crates age uses
//! (`ml-kem` 0.2, `x25519-dalek` 2, `sha3` 0.10), as age does for its own hybrid tag KEM.
//! Nothing here is a primitive: it is the X-Wing key expansion and combiner of
//! draft-connolly-cfrg-xwing-kem-06 / filippo.io/hpke-pq, checked against the C2SP CCTV vectors
//! and the spec's example key (`super::tests`), and against Go age and typage (tests/cli/pq.rs).
//!
//! - decapsulation key: a 32-byte seed; SHAKE256(seed, 96) = ML-KEM d ‖ z ‖ X25519 secret
//! - public key: ML-KEM-768 encapsulation key (1184) ‖ X25519 public key (32)
//! - ciphertext: ML-KEM-768 ciphertext (1088) ‖ X25519 ephemeral share (32)
//! - shared secret: SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ `\.//^\`)

use hpke::generic_array::GenericArray;
use hpke::generic_array::typenum::{Sum, U32, U96, U192, U1024, Unsigned};
use hpke::kem::SharedSecret;
use hpke::{Deserializable, HpkeError, Serializable};
use ml_kem::kem::{Decapsulate, Encapsulate};
use ml_kem::{EncodedSizeUser, KemCore, MlKem768};
use rand::{CryptoRng, RngCore};
use sha3::digest::{Digest, ExtendableOutput, Update, XofReader};
use sha3::{Sha3_256, Shake256};
use zeroize::{Zeroize, Zeroizing};

/// X-Wing's combiner label, `\.//^\`.
const LABEL: &[u8] = b"\\.//^\\";
const EK_M: usize = 1184;
const CT_M: usize = 1088;
type PkSize = Sum<U1024, U192>;
type CtSize = Sum<U1024, U96>;

type DecapsulationKeyM = <MlKem768 as KemCore>::DecapsulationKey;
type EncapsulationKeyM = <MlKem768 as KemCore>::EncapsulationKey;

/// The expanded halves of a seed.
struct Expanded {
    dk_m: DecapsulationKeyM,
    ek_m: EncapsulationKeyM,
    sk_x: x25519_dalek::StaticSecret,
    pk_x: x25519_dalek::PublicKey,
}

fn expand(seed: &[u8; 32]) -> Expanded {
    let mut wide = Zeroizing::new([0u8; 96]);
    let mut xof = Shake256::default();
    xof.update(seed);
    xof.finalize_xof().read(&mut wide[..]);
    let d: ml_kem::B32 = wide[..32].try_into().expect("32 bytes");
    let z: ml_kem::B32 = wide[32..64].try_into().expect("32 bytes");
    let (dk_m, ek_m) = MlKem768::generate_deterministic(&d, &z);
    let mut x = [0u8; 32];
    x.copy_from_slice(&wide[64..]);
    let sk_x = x25519_dalek::StaticSecret::from(x);
    x.zeroize();
    let pk_x = x25519_dalek::PublicKey::from(&sk_x);
    Expanded {
        dk_m,
        ek_m,
        sk_x,
        pk_x,
    }
}

/// A slice of a length checked by the caller, as the array type `ml-kem` takes.
fn mlkem_array<N: ml_kem::array::ArraySize>(s: &[u8]) -> &ml_kem::array::Array<u8, N> {
    s.try_into().expect("length checked by the caller")
}

fn combine(ss_m: &[u8], ss_x: &[u8], ct_x: &[u8], pk_x: &[u8]) -> SharedSecret<XWing> {
    let digest = Sha3_256::new()
        .chain_update(ss_m)
        .chain_update(ss_x)
        .chain_update(ct_x)
        .chain_update(pk_x)
        .chain_update(LABEL)
        .finalize();
    SharedSecret(GenericArray::clone_from_slice(&digest))
}

/// The 32-byte seed, zeroized on drop.
#[derive(Clone, PartialEq, Eq, zeroize::ZeroizeOnDrop)]
pub(crate) struct PrivateKey([u8; 32]);

impl Serializable for PrivateKey {
    type OutputSize = U32;
    fn write_exact(&self, buf: &mut [u8]) {
        buf.copy_from_slice(&self.0);
    }
}

impl Deserializable for PrivateKey {
    fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
        let seed = encoded
            .try_into()
            .map_err(|_| HpkeError::IncorrectInputLength(32, encoded.len()))?;
        Ok(Self(seed))
    }
}

impl PrivateKey {
    /// A fresh seed (age: `identity = read(CSPRNG, 32)`); for the tests.
    #[cfg(test)]
    pub(crate) fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Self(seed)
    }
}

/// `ek_M ‖ pk_X`, kept as bytes (1216) and parsed when used.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PublicKey(Box<[u8]>);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "xwing::PublicKey({} bytes)", self.0.len())
    }
}

impl Serializable for PublicKey {
    type OutputSize = PkSize;
    fn write_exact(&self, buf: &mut [u8]) {
        buf.copy_from_slice(&self.0);
    }
}

impl Deserializable for PublicKey {
    /// Checks the length and that the ML-KEM key is canonically encoded (FIPS 203's
    /// encapsulation key check: every coefficient below q, so decoding and re-encoding is exact).
    fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
        if encoded.len() != PkSize::USIZE {
            return Err(HpkeError::IncorrectInputLength(
                PkSize::USIZE,
                encoded.len(),
            ));
        }
        let ek = EncapsulationKeyM::from_bytes(mlkem_array(&encoded[..EK_M]));
        if ek.as_bytes().as_slice() != &encoded[..EK_M] {
            return Err(HpkeError::ValidationError);
        }
        Ok(Self(encoded.into()))
    }
}

impl PublicKey {
    fn parts(&self) -> (EncapsulationKeyM, x25519_dalek::PublicKey) {
        let ek = EncapsulationKeyM::from_bytes(mlkem_array(&self.0[..EK_M]));
        let mut x = [0u8; 32];
        x.copy_from_slice(&self.0[EK_M..]);
        (ek, x25519_dalek::PublicKey::from(x))
    }
}

/// `ct_M ‖ ct_X` (1120 bytes).
#[derive(Clone)]
pub(crate) struct EncappedKey(Box<[u8]>);

impl Serializable for EncappedKey {
    type OutputSize = CtSize;
    fn write_exact(&self, buf: &mut [u8]) {
        buf.copy_from_slice(&self.0);
    }
}

impl Deserializable for EncappedKey {
    fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
        if encoded.len() != CtSize::USIZE {
            return Err(HpkeError::IncorrectInputLength(
                CtSize::USIZE,
                encoded.len(),
            ));
        }
        Ok(Self(encoded.into()))
    }
}

/// The MLKEM768-X25519 KEM (HPKE KEM id 0x647a, draft-ietf-hpke-pq).
pub(crate) struct XWing;

impl hpke::Kem for XWing {
    type PublicKey = PublicKey;
    type PrivateKey = PrivateKey;
    type EncappedKey = EncappedKey;
    type NSecret = U32;
    const KEM_ID: u16 = 0x647a;

    fn sk_to_pk(sk: &PrivateKey) -> PublicKey {
        let e = expand(&sk.0);
        let mut bytes = Vec::with_capacity(PkSize::USIZE);
        bytes.extend_from_slice(&e.ek_m.as_bytes());
        bytes.extend_from_slice(e.pk_x.as_bytes());
        PublicKey(bytes.into())
    }

    /// hpke-pq's `DeriveKeyPair`: seed = SHAKE256 LabeledDerive(ikm, "DeriveKeyPair", "", 32).
    /// age never derives keys (its identities are random seeds); this is here for the trait.
    fn derive_keypair(ikm: &[u8]) -> (PrivateKey, PublicKey) {
        let mut seed = [0u8; 32];
        let mut xof = Shake256::default();
        xof.update(ikm);
        xof.update(b"HPKE-v1");
        xof.update(b"KEM");
        xof.update(&Self::KEM_ID.to_be_bytes());
        xof.update(&13u16.to_be_bytes());
        xof.update(b"DeriveKeyPair");
        xof.update(&32u16.to_be_bytes());
        xof.finalize_xof().read(&mut seed);
        let sk = PrivateKey(seed);
        seed.zeroize();
        let pk = Self::sk_to_pk(&sk);
        (sk, pk)
    }

    fn decap(
        sk: &PrivateKey,
        pk_sender_id: Option<&PublicKey>,
        enc: &EncappedKey,
    ) -> Result<SharedSecret<Self>, HpkeError> {
        // X-Wing has no authenticated mode; age never asks for one.
        if pk_sender_id.is_some() {
            return Err(HpkeError::DecapError);
        }
        let e = expand(&sk.0);
        let (ct_m, ct_x) = enc.0.split_at(CT_M);
        let ss_m = e
            .dk_m
            .decapsulate(mlkem_array(ct_m))
            .map_err(|_| HpkeError::DecapError)?;
        let mut x = [0u8; 32];
        x.copy_from_slice(ct_x);
        let ss_x = e.sk_x.diffie_hellman(&x25519_dalek::PublicKey::from(x));
        // The all-zero X25519 output (a low-order share) is refused, as Go's X25519 does.
        if !ss_x.was_contributory() {
            return Err(HpkeError::DecapError);
        }
        Ok(combine(&ss_m, ss_x.as_bytes(), ct_x, e.pk_x.as_bytes()))
    }

    fn encap<R: CryptoRng + RngCore>(
        pk: &PublicKey,
        sender_id_keypair: Option<(&PrivateKey, &PublicKey)>,
        rng: &mut R,
    ) -> Result<(SharedSecret<Self>, EncappedKey), HpkeError> {
        if sender_id_keypair.is_some() {
            return Err(HpkeError::EncapError);
        }
        let (ek_m, pk_x) = pk.parts();
        let (ct_m, ss_m) = ek_m.encapsulate(rng).map_err(|_| HpkeError::EncapError)?;
        let mut x = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut x[..]);
        let ek_x = x25519_dalek::StaticSecret::from(*x);
        let ct_x = x25519_dalek::PublicKey::from(&ek_x);
        let ss_x = ek_x.diffie_hellman(&pk_x);
        if !ss_x.was_contributory() {
            return Err(HpkeError::EncapError);
        }
        let ss = combine(&ss_m, ss_x.as_bytes(), ct_x.as_bytes(), pk_x.as_bytes());
        let mut ct = Vec::with_capacity(CtSize::USIZE);
        ct.extend_from_slice(&ct_m);
        ct.extend_from_slice(ct_x.as_bytes());
        Ok((ss, EncappedKey(ct.into())))
    }
}
