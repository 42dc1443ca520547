//! Which JWT secrets `detour serve` accepts for `Role` rules.

use std::fmt;

/// The shortest secret accepted. A short HS256 key can be found by brute force, and with an
/// empty one anybody can sign a token that grants any role.
pub const MIN_JWT_SECRET_BYTES: usize = 16;

/// RFC 7518 §3.2 asks for HS256 keys of at least this many bytes; shorter ones (down to
/// [`MIN_JWT_SECRET_BYTES`]) are accepted with a warning, for sites whose secret is already set.
pub const RECOMMENDED_JWT_SECRET_BYTES: usize = 32;

/// Why a JWT secret is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtSecretError {
    /// The secret is empty.
    Empty,
    /// The secret has fewer than [`MIN_JWT_SECRET_BYTES`] bytes.
    TooShort {
        /// Its length in bytes.
        len: usize,
    },
}

impl fmt::Display for JwtSecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtSecretError::Empty => {
                write!(f, "the JWT secret is empty: anybody could sign a token that grants any role")
            }
            JwtSecretError::TooShort { len } => write!(
                f,
                "the JWT secret is {len} bytes long; use at least {MIN_JWT_SECRET_BYTES} \
                 ({RECOMMENDED_JWT_SECRET_BYTES} recommended, RFC 7518 §3.2)"
            ),
        }
    }
}

impl std::error::Error for JwtSecretError {}

/// Refuses a secret that would let anybody forge a role: empty, or under
/// [`MIN_JWT_SECRET_BYTES`] bytes.
pub fn check_jwt_secret(secret: &[u8]) -> Result<(), JwtSecretError> {
    match secret.len() {
        0 => Err(JwtSecretError::Empty),
        len if len < MIN_JWT_SECRET_BYTES => Err(JwtSecretError::TooShort { len }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_short_secrets_are_refused() {
        assert_eq!(check_jwt_secret(b""), Err(JwtSecretError::Empty));
        assert_eq!(check_jwt_secret(b"0123456789abcde"), Err(JwtSecretError::TooShort { len: 15 }));
        assert_eq!(check_jwt_secret(b"0123456789abcdef"), Ok(()));
        assert!(JwtSecretError::Empty.to_string().contains("empty"));
    }
}
