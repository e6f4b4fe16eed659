//! Password hashes of imported accounts: Convos's bcrypt (`$2a$`, 4.x) and argon2
//! (`$argon2id$v=19$m=65536,t=3,p=1$...`, 6.x–8.x and the Go rewrite), The Lounge's bcrypt
//! (`$2a$`/`$2b$`, cost 11). They keep working at login; the first successful login
//! replaces them with our own argon2id hash ([`needs_rehash`]).
//!
//! Every check here is bounded: a hash whose cost would take seconds or gigabytes is
//! refused when imported ([`check_importable`]) and again when verified.

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Most bcrypt cost accepted (2^16 rounds: ≈ 4 s on a slow core; Convos used 8, The
/// Lounge 11).
const MAX_BCRYPT_COST: u32 = 16;
/// Most argon2 memory accepted, in KiB (Convos used 64 MiB; ours is 19 MiB).
const MAX_ARGON2_KIB: u32 = 256 * 1024;
const MAX_ARGON2_TIME: u32 = 16;
const MAX_ARGON2_LANES: u32 = 16;

/// What kind of stored hash this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Bcrypt,
    Argon2,
}

fn family(hash: &str) -> Option<Family> {
    if ["$2a$", "$2b$", "$2y$", "$2x$"]
        .iter()
        .any(|p| hash.starts_with(p))
    {
        Some(Family::Bcrypt)
    } else if hash.starts_with("$argon2") {
        Some(Family::Argon2)
    } else {
        None
    }
}

/// `Ok` when `hash` is a bcrypt or argon2 hash this server can check at login within its
/// bounds, else why not (shown in the import summary; the user then needs a reset link).
pub fn check_importable(hash: &str) -> Result<(), String> {
    match family(hash) {
        Some(Family::Bcrypt) => bcrypt_cost(hash).map(|_| ()),
        Some(Family::Argon2) => argon2_parts(hash).map(|_| ()),
        None if hash.is_empty() => Err("no password set".into()),
        None => Err("unknown password hash format".into()),
    }
}

fn bcrypt_cost(hash: &str) -> Result<u32, String> {
    let cost = hash
        .get(4..6)
        .and_then(|c| c.parse::<u32>().ok())
        .ok_or("malformed bcrypt hash")?;
    if hash.len() != 60 || hash.as_bytes().get(6) != Some(&b'$') {
        return Err("malformed bcrypt hash".into());
    }
    if !(4..=MAX_BCRYPT_COST).contains(&cost) {
        return Err(format!("bcrypt cost {cost} is above {MAX_BCRYPT_COST}"));
    }
    Ok(cost)
}

fn argon2_parts(hash: &str) -> Result<PasswordHash<'_>, String> {
    let parsed = PasswordHash::new(hash).map_err(|e| format!("malformed argon2 hash: {e}"))?;
    let params = Params::try_from(&parsed).map_err(|e| format!("argon2 parameters: {e}"))?;
    if params.m_cost() > MAX_ARGON2_KIB
        || params.t_cost() > MAX_ARGON2_TIME
        || params.p_cost() > MAX_ARGON2_LANES
    {
        return Err(format!(
            "argon2 cost m={},t={},p={} is above the limits",
            params.m_cost(),
            params.t_cost(),
            params.p_cost()
        ));
    }
    Ok(parsed)
}

/// Whether `password` matches `hash` (argon2 of any variant and parameters within bounds,
/// or bcrypt). Blocking: call it on the hashing thread. A hash out of bounds or of an
/// unknown format never matches.
pub(super) fn verify(hash: &str, password: &str) -> bool {
    match family(hash) {
        Some(Family::Argon2) => match argon2_parts(hash) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        },
        Some(Family::Bcrypt) => {
            if bcrypt_cost(hash).is_err() {
                return false;
            }
            if bcrypt::verify(password, hash).unwrap_or(false) {
                return true;
            }
            // Perl's bcrypt (Convos 4.x) hashed a password without its UTF-8 flag as
            // Latin-1 bytes: try those too when the password has such characters.
            match latin1(password) {
                Some(bytes) => bcrypt::verify(bytes, hash).unwrap_or(false),
                None => false,
            }
        }
        None => false,
    }
}

/// The password as Latin-1 bytes, when it has non-ASCII characters that all fit.
fn latin1(password: &str) -> Option<Vec<u8>> {
    if password.is_ascii() {
        return None;
    }
    password
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

/// Whether a hash that matched should be replaced by ours: anything but argon2id with our
/// parameters (bcrypt, argon2i, Convos's 64 MiB argon2id).
pub(super) fn needs_rehash(hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return true;
    };
    let ours = Params::default();
    let current = Algorithm::try_from(parsed.algorithm) == Ok(Algorithm::Argon2id)
        && parsed.version == Some(Version::V0x13.into())
        && Params::try_from(&parsed).is_ok_and(|p| {
            p.m_cost() == ours.m_cost()
                && p.t_cost() == ours.t_cost()
                && p.p_cost() == ours.p_cost()
        });
    !current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn importable_hashes() {
        let b = bcrypt::hash_with_salt("pw", 8, [7; 16])
            .expect("hash")
            .format_for_version(bcrypt::Version::TwoA);
        assert!(check_importable(&b).is_ok());
        let costly = b.replacen("$08$", "$20$", 1);
        assert!(check_importable(&costly).is_err());
        assert!(check_importable("").is_err());
        assert!(check_importable("md5:abc").is_err());
        assert!(check_importable("$2a$08$short").is_err());
        let huge = "$argon2id$v=19$m=4194304,t=3,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        assert!(check_importable(huge).is_err());
    }

    #[test]
    fn bcrypt_variants_verify() {
        for version in [
            bcrypt::Version::TwoA,
            bcrypt::Version::TwoB,
            bcrypt::Version::TwoY,
        ] {
            let h = bcrypt::hash_with_salt("s3cret passwörd", 4, [1; 16])
                .expect("hash")
                .format_for_version(version);
            assert!(verify(&h, "s3cret passwörd"), "{h}");
            assert!(!verify(&h, "s3cret password"), "{h}");
            assert!(needs_rehash(&h));
        }
        // Made by crypt(3) (libxcrypt), another implementation: the e2e test's fixture.
        let h = "$2a$08$Cn6ZbiF9YrSOo8/Ld0wIFebmOXj4Jgic5DMaPnjMUOkLpEVa9B7Ge";
        assert!(check_importable(h).is_ok());
        assert!(verify(h, "correct horse battery"));
        // Latin-1 bytes, as Perl hashed a password read without decoding.
        let h = bcrypt::hash_with_salt(b"bl\xe5b\xe6r", 4, [2; 16])
            .expect("hash")
            .format_for_version(bcrypt::Version::TwoA);
        assert!(verify(&h, "blåbær"));
    }

    #[test]
    fn convos_argon2id_verifies_and_is_rehashed() {
        // Convos's parameters: 64 MiB, t=3, p=1 (Crypt::Passphrase::Argon2 defaults and the Go
        // rewrite's GenerateHash).
        use argon2::password_hash::{PasswordHasher, SaltString};
        let params = Params::new(65536, 3, 1, Some(32)).expect("params");
        let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(&[3; 16]).expect("salt");
        let h = a
            .hash_password(b"correct horse", &salt)
            .expect("hash")
            .to_string();
        assert!(h.starts_with("$argon2id$v=19$m=65536,t=3,p=1$"), "{h}");
        assert!(check_importable(&h).is_ok());
        assert!(verify(&h, "correct horse"));
        assert!(!verify(&h, "correct horsE"));
        assert!(needs_rehash(&h));
        let ours = Argon2::default()
            .hash_password(b"x", &salt)
            .expect("hash")
            .to_string();
        assert!(!needs_rehash(&ours));
    }
}
