//! Field validation shared by the services. Problems are collected, so one 422 lists them all.

use shared::FieldError;

use crate::error::{ApiError, ApiResult};

/// Shortest accepted password.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest accepted password (argon2 takes any length; this bounds the work a request causes).
pub const PASSWORD_MAX_CHARS: usize = 256;
/// Longest display or account name.
pub const NAME_MAX_CHARS: usize = 200;

/// Collects field errors.
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// A required field's value, or an error.
    pub fn required<'v>(&mut self, field: &str, value: &'v Option<String>) -> Option<&'v str> {
        match value.as_deref() {
            Some(v) => Some(v),
            None => {
                self.fail(field, "is required");
                None
            }
        }
    }

    /// A normalized (trimmed, lower-cased) email, or an error.
    pub fn email(&mut self, field: &str, value: &Option<String>) -> Option<String> {
        let raw = self.required(field, value)?;
        match normalize_email(raw) {
            Some(email) => Some(email),
            None => {
                self.fail(field, "is not a valid email address");
                None
            }
        }
    }

    /// A password within the length policy, or an error.
    pub fn password(&mut self, field: &str, value: &Option<String>) -> Option<String> {
        let raw = self.required(field, value)?;
        let chars = raw.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            self.fail(
                field,
                format!("must be at least {PASSWORD_MIN_CHARS} characters"),
            );
            None
        } else if chars > PASSWORD_MAX_CHARS {
            self.fail(
                field,
                format!("must be at most {PASSWORD_MAX_CHARS} characters"),
            );
            None
        } else {
            Some(raw.to_string())
        }
    }

    /// An optional name: trimmed, empty means none; too long or with control characters is an
    /// error. The outer `Option` is `None` when invalid.
    pub fn name(&mut self, field: &str, value: &Option<String>) -> Option<Option<String>> {
        let Some(raw) = value.as_deref() else {
            return Some(None);
        };
        let name = raw.trim();
        if name.chars().count() > NAME_MAX_CHARS {
            self.fail(
                field,
                format!("must be at most {NAME_MAX_CHARS} characters"),
            );
            None
        } else if name.chars().any(char::is_control) {
            self.fail(field, "must not contain control characters");
            None
        } else {
            Some((!name.is_empty()).then(|| name.to_string()))
        }
    }

    /// `Err(422)` listing every problem, or `Ok`.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// Trims and lower-cases an email and checks its shape: one `@`, a non-empty local part of at
/// most 64 characters, a dotted domain, no spaces or control characters, 254 characters at most.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = email.split_once('@')?;
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
    (!local.is_empty() && local.len() <= 64 && domain_ok).then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn collects_every_problem() {
        let mut c = Checks::new();
        assert_eq!(c.email("email", &Some("nope".into())), None);
        assert_eq!(c.password("password", &Some("short".into())), None);
        assert_eq!(c.name("name", &Some("  ".into())), Some(None));
        let err = c.finish().expect_err("two problems");
        assert_eq!(err.details.len(), 2);
        assert_eq!(err.code.status(), 422);
    }
}
