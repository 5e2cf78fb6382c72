//! The recipients' side of the email tests: the Maildir of the aiosmtpd that `scripts/test`
//! starts (`POWERNODE_TEST_SMTP_URL`, `POWERNODE_TEST_MAILDIR`), read as a mail client would.
//! Tests share that server, so each one mails addresses of its own and reads only those.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the email tests through ./scripts/test, which starts aiosmtpd (scripts/lib/smtp.sh)")
    })
}

/// The test SMTP server's URL.
pub fn smtp_url() -> String {
    required("POWERNODE_TEST_SMTP_URL")
}

/// An address no other test mails.
pub fn address(who: &str) -> String {
    format!("{who}-{}@mail.test", uuid::Uuid::new_v4().simple())
}

/// One received message.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope recipient (aiosmtpd's `X-RcptTo`).
    pub rcpt_to: String,
    /// `To:`.
    pub to: String,
    /// `From:`.
    pub from: String,
    /// `Subject:`.
    pub subject: String,
    /// The body, transfer-decoded.
    pub text: String,
    /// The message as stored.
    pub raw: String,
}

/// Every message delivered to `address` so far.
pub fn inbox(address: &str) -> Vec<Mail> {
    let dir = PathBuf::from(required("POWERNODE_TEST_MAILDIR"));
    let mut mails = Vec::new();
    for sub in ["new", "cur"] {
        for entry in std::fs::read_dir(dir.join(sub))
            .into_iter()
            .flatten()
            .flatten()
        {
            let Ok(raw) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let mail = parse(&raw);
            if mail.rcpt_to.eq_ignore_ascii_case(address) {
                mails.push(mail);
            }
        }
    }
    mails
}

/// Waits (up to 30 s) until `address` has received at least `n` messages, then returns them.
pub async fn wait_for(address: &str, n: usize) -> Vec<Mail> {
    for _ in 0..300 {
        let mails = inbox(address);
        if mails.len() >= n {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{address} received {} message(s) within 30 s, expected {n}",
        inbox(address).len()
    );
}

fn parse(raw: &str) -> Mail {
    let normalized = raw.replace("\r\n", "\n");
    let (head, body) = normalized
        .split_once("\n\n")
        .unwrap_or((normalized.as_str(), ""));
    // Unfold continuation lines, then index by lower-cased name.
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let text = match header("content-transfer-encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "quoted-printable" => quoted_printable(body),
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default(),
        _ => body.to_string(),
    };
    Mail {
        rcpt_to: header("x-rcptto"),
        to: header("to"),
        from: header("from"),
        subject: header("subject"),
        text,
        raw: raw.to_string(),
    }
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = joined.get(i + 1..i + 3);
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
