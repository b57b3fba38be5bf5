//! Checksums that a rule can require of its secret (a declared extension of the
//! rule format: `checksum = "<name>"`).
//!
//! LocalStack Auth Tokens end in four hex characters that are the first four
//! characters of the MD5 hex digest of the 32-character payload between the
//! prefix (`ls-`, `lsci-`, …) and the checksum, inner hyphens included. This is
//! the check LocalStack's own CLI applies in `localstack auth set-token`.

use md5::{Digest, Md5};

/// A checksum algorithm known to keysweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// LocalStack Auth Token: last 4 chars = md5(payload)[..4] in lowercase hex.
    LocalstackAuthToken,
}

impl Checksum {
    /// Names accepted in rule files.
    pub const NAMES: &'static [&'static str] = &["localstack-auth-token"];

    /// True when `value` carries a valid checksum.
    pub fn verify(self, value: &[u8]) -> bool {
        match self {
            Checksum::LocalstackAuthToken => localstack_token_checksum_ok(value),
        }
    }
}

impl std::str::FromStr for Checksum {
    type Err = ();

    /// Looks up an algorithm by its rule-file name.
    fn from_str(name: &str) -> Result<Checksum, ()> {
        match name {
            "localstack-auth-token" => Ok(Checksum::LocalstackAuthToken),
            _ => Err(()),
        }
    }
}

fn localstack_token_checksum_ok(token: &[u8]) -> bool {
    let Some(dash) = token.iter().position(|&b| b == b'-') else {
        return false;
    };
    let rest = &token[dash + 1..];
    if rest.len() <= 4 {
        return false;
    }
    let (payload, check) = rest.split_at(rest.len() - 4);
    let digest = Md5::digest(payload);
    let hex = format!("{:02x}{:02x}", digest[0], digest[1]);
    hex.as_bytes() == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_localstack_docstring_examples() {
        // Examples from LocalStack's licensing module docstring.
        for t in [
            "ls-WeNE7839-VifA-viLo-LImo-SehU0277efb9",
            "ls-Wefu6414-YUvE-8314-ZiLA-zIlOnocAfb0d",
            "lsci-sekU1905-PohE-0982-duXA-pUQITIxi3829",
        ] {
            assert!(Checksum::LocalstackAuthToken.verify(t.as_bytes()), "{t}");
        }
    }

    #[test]
    fn rejects_look_alikes() {
        for t in [
            "ls-WeNE7839-VifA-viLo-LImo-SehU0277efb8",
            "ls-02b523ae-52f2-4905-b46a-0a7d7c2947aa",
            "ls-",
            "nodash",
            "ls-abcd",
        ] {
            assert!(!Checksum::LocalstackAuthToken.verify(t.as_bytes()), "{t}");
        }
    }
}
