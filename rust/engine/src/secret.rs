//! A string that must never be printed: tokens, client secrets, secret keys, session tokens.

use std::fmt;
use zeroize::Zeroizing;

/// Holds a secret. `Debug` prints `** redacted **`; there is no `Display`; memory is zeroed on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret itself, for the one place that must send or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let printed = format!("{secret:?} {:#?}", Some(&secret));
        assert!(!printed.contains("wJalr"), "{printed}");
        assert!(printed.contains("** redacted **"));
    }
}
