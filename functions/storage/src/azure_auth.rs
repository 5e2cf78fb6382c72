//! Azure Storage's Shared Key scheme, done by hand: the `Authorization: SharedKey` header of
//! each request and the service SAS of presigned URLs, both an HMAC-SHA256 under the account
//! key over a string the spec fixes exactly (learn.microsoft.com, "Authorize with Shared Key"
//! and "Create a service SAS"). A wrong byte anywhere means a 403, so the tests pin both
//! strings against vectors computed independently.
//!
//! The key never leaves this module: `SharedKey`'s `Debug` shows the account only, and the
//! signatures it makes go into headers and URLs, never into errors or logs.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use reqwest::header::{self, HeaderMap, HeaderValue};
use sha2::Sha256;

/// The REST API version every request asks for (and every SAS is signed at): recent enough for
/// everything used here, and one Azurite 3.37 serves.
pub(crate) const API_VERSION: &str = "2021-08-06";

/// An account name and its key, ready to sign.
#[derive(Clone)]
pub(crate) struct SharedKey {
    account: String,
    mac: Hmac<Sha256>,
}

impl fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedKey")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// What a service SAS grants (the fields of "Create a service SAS", version 2020-12-06 and
/// later, for one blob: `sr=b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobSas<'a> {
    /// `sp`: the permissions, in the order the spec lists them (`r`, `cw`).
    pub permissions: &'a str,
    /// `se`: when it stops working (whole seconds; the format has no fractions).
    pub expiry: DateTime<Utc>,
    /// The container and the blob's name within it.
    pub container: &'a str,
    pub blob: &'a str,
    /// `spr=https` when the endpoint is https, so the URL is refused over plain http.
    pub https_only: bool,
    /// `rsct`: the `Content-Type` a download answers with.
    pub response_content_type: Option<&'a str>,
}

impl SharedKey {
    /// `key` is the decoded account key. HMAC takes a key of any length, so this cannot fail.
    pub fn new(account: &str, key: &[u8]) -> Self {
        #[allow(clippy::expect_used)] // HMAC's new_from_slice only fails for fixed-size MACs.
        let mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
        Self {
            account: account.to_owned(),
            mac,
        }
    }

    fn sign(&self, string_to_sign: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(string_to_sign.as_bytes());
        BASE64.encode(mac.finalize().into_bytes())
    }

    /// Adds `x-ms-date`, `x-ms-version` and `Authorization` to `request`. Sign last: any header
    /// or query parameter changed afterwards invalidates the signature. A body must already
    /// have its `Content-Length` header set (reqwest only adds it when sending).
    pub fn authorize(&self, request: &mut reqwest::Request, now: DateTime<Utc>) {
        let headers = request.headers_mut();
        headers.insert("x-ms-date", http_date(now));
        headers.insert("x-ms-version", HeaderValue::from_static(API_VERSION));
        let string_to_sign = self.request_string_to_sign(request);
        let value = format!("SharedKey {}:{}", self.account, self.sign(&string_to_sign));
        // The account name and base64 are ASCII, so this never fails; a request left unsigned
        // would only be refused (403), never sent with something else.
        if let Ok(value) = HeaderValue::from_str(&value) {
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
    }

    /// The Shared Key string-to-sign for the Blob service (versions 2015-02-21 and later:
    /// `Content-Length` is empty when zero).
    fn request_string_to_sign(&self, request: &reqwest::Request) -> String {
        let headers = request.headers();
        let standard = |name: header::HeaderName| value_of(headers, &name);
        let content_length = match standard(header::CONTENT_LENGTH).as_str() {
            "0" => String::new(),
            other => other.to_owned(),
        };
        let mut out = String::with_capacity(256);
        for part in [
            request.method().as_str().to_owned(),
            standard(header::CONTENT_ENCODING),
            standard(header::CONTENT_LANGUAGE),
            content_length,
            value_of(headers, "content-md5"),
            standard(header::CONTENT_TYPE),
            // Empty: x-ms-date is always set, and it takes precedence over Date.
            String::new(),
            standard(header::IF_MODIFIED_SINCE),
            standard(header::IF_MATCH),
            standard(header::IF_NONE_MATCH),
            standard(header::IF_UNMODIFIED_SINCE),
            standard(header::RANGE),
        ] {
            out.push_str(&part);
            out.push('\n');
        }
        out.push_str(&canonicalized_headers(headers));
        out.push_str(&self.canonicalized_resource(request.url()));
        out
    }

    /// `/{account}{path}` then `\nname:value` per query parameter, names lower-cased and
    /// sorted, values decoded (repeated names: values sorted, comma-joined). The path is the
    /// URL's, so against Azurite's `/devstoreaccount1/...` paths the account appears twice,
    /// as the spec's emulator section says.
    fn canonicalized_resource(&self, url: &url::Url) -> String {
        let mut params: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.to_lowercase(), v.into_owned()))
            .collect();
        params.sort();
        let mut out = format!("/{}{}", self.account, url.path());
        let mut i = 0;
        while i < params.len() {
            let name = &params[i].0;
            let mut values = Vec::new();
            while i < params.len() && &params[i].0 == name {
                values.push(params[i].1.as_str());
                i += 1;
            }
            out.push('\n');
            out.push_str(name);
            out.push(':');
            out.push_str(&values.join(","));
        }
        out
    }

    /// The query string of a service SAS for one blob (`sv`, `se`, `sr`, `sp`, `spr`, `rsct`,
    /// `sig`), its values form-encoded (the base64 signature's `+`, `/`, `=` included).
    pub fn blob_sas(&self, sas: &BlobSas<'_>) -> String {
        let expiry = sas_time(sas.expiry);
        let protocol = if sas.https_only { "https" } else { "" };
        let resource = format!("/blob/{}/{}/{}", self.account, sas.container, sas.blob);
        // Signed on the raw values: sp, st, se, canonicalized resource, si, sip, spr, sv, sr,
        // snapshot time, encryption scope, rscc, rscd, rsce, rscl, rsct.
        let string_to_sign = [
            sas.permissions,
            "",
            &expiry,
            &resource,
            "",
            "",
            protocol,
            API_VERSION,
            "b",
            "",
            "",
            "",
            "",
            "",
            "",
            sas.response_content_type.unwrap_or(""),
        ]
        .join("\n");
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("sv", API_VERSION)
            .append_pair("se", &expiry)
            .append_pair("sr", "b")
            .append_pair("sp", sas.permissions);
        if sas.https_only {
            query.append_pair("spr", protocol);
        }
        if let Some(content_type) = sas.response_content_type {
            query.append_pair("rsct", content_type);
        }
        query.append_pair("sig", &self.sign(&string_to_sign));
        query.finish()
    }
}

/// A header's value as a string ("" when absent or not ASCII; every header sent here is set
/// by this crate and is ASCII).
fn value_of(headers: &HeaderMap, name: impl header::AsHeaderName) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// Every `x-ms-*` header as `name:value\n`, names lower-case and sorted, values trimmed and
/// with runs of whitespace folded to one space (the spec's "unfolding").
fn canonicalized_headers(headers: &HeaderMap) -> String {
    let mut names: Vec<&str> = headers
        .keys()
        .map(header::HeaderName::as_str)
        .filter(|n| n.starts_with("x-ms-"))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = String::new();
    for name in names {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| {
                v.to_str()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// RFC 1123 (`Sun, 06 Nov 1994 08:49:37 GMT`), as `x-ms-date` requires.
fn http_date(t: DateTime<Utc>) -> HeaderValue {
    let text = t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static(""))
}

/// ISO 8601 in UTC to the second (`2026-11-20T10:00:00Z`), the SAS time format.
pub(crate) fn sas_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use reqwest::Method;

    use super::*;

    /// Azurite's published development account key (not a secret).
    const DEV_KEY: &str =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    fn dev_key() -> SharedKey {
        let key = BASE64.decode(DEV_KEY).expect("the dev key is base64");
        SharedKey::new("devstoreaccount1", &key)
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
            .single()
            .expect("a valid date")
    }

    /// A Put Block with a form-encoded block id, a body length and an extra `x-ms-*` header.
    /// The expected string and signature were computed outside this crate, with Python:
    ///
    /// ```python
    /// import base64, hmac, hashlib
    /// key = base64.b64decode("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6"
    ///                        "tq/K1SZFPTOtr/KBHBeksoGMGw==", validate=True)
    /// sts = ("PUT\n\n\n1048576\n\n\n\n\n\n\n\n\n"
    ///        "x-ms-client-request-id:abc def\n"
    ///        "x-ms-date:Fri, 20 Nov 2026 10:00:00 GMT\n"
    ///        "x-ms-version:2021-08-06\n"
    ///        "/devstoreaccount1/devstoreaccount1/files/acct/f/v1\n"
    ///        "blockid:QUJD+/==\ncomp:block")
    /// print(base64.b64encode(hmac.new(key, sts.encode(), hashlib.sha256).digest()).decode())
    /// ```
    #[test]
    fn request_signature_matches_an_independent_computation() {
        let url = url::Url::parse(
            "http://127.0.0.1:10000/devstoreaccount1/files/acct/f/v1?comp=block&blockid=QUJD%2B%2F%3D%3D",
        )
        .expect("url");
        let mut request = reqwest::Request::new(Method::PUT, url);
        let headers = request.headers_mut();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("1048576"));
        headers.insert(
            "x-ms-client-request-id",
            HeaderValue::from_static("  abc   def "),
        );
        let key = dev_key();
        assert_eq!(
            {
                let mut signed = request.try_clone().expect("no body");
                signed.headers_mut().insert("x-ms-date", http_date(at()));
                signed
                    .headers_mut()
                    .insert("x-ms-version", HeaderValue::from_static(API_VERSION));
                key.request_string_to_sign(&signed)
            },
            "PUT\n\n\n1048576\n\n\n\n\n\n\n\n\n\
             x-ms-client-request-id:abc def\n\
             x-ms-date:Fri, 20 Nov 2026 10:00:00 GMT\n\
             x-ms-version:2021-08-06\n\
             /devstoreaccount1/devstoreaccount1/files/acct/f/v1\n\
             blockid:QUJD+/==\ncomp:block"
        );
        key.authorize(&mut request, at());
        assert_eq!(
            request.headers()[header::AUTHORIZATION],
            "SharedKey devstoreaccount1:osdnpi4s9aFTwGMrIAbS9z7oPLoeS/6zrccBOZWRkdE="
        );
    }

    /// A zero `Content-Length` signs as empty, and `Range`/`Content-Type` take their places.
    /// Python, as above, with
    ///
    /// ```python
    /// sts = ("GET\n\n\n\n\ntext/plain\n\n\n\n\n\nbytes=0-9\n"
    ///        "x-ms-date:Fri, 20 Nov 2026 10:00:00 GMT\nx-ms-version:2021-08-06\n"
    ///        "/devstoreaccount1/devstoreaccount1/files/k")
    /// ```
    #[test]
    fn empty_length_and_standard_headers_take_their_slots() {
        let url = url::Url::parse("http://127.0.0.1:10000/devstoreaccount1/files/k").expect("url");
        let mut request = reqwest::Request::new(Method::GET, url);
        let headers = request.headers_mut();
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=0-9"));
        dev_key().authorize(&mut request, at());
        assert_eq!(
            request.headers()[header::AUTHORIZATION],
            "SharedKey devstoreaccount1:aWdBp78g2wVwLW4N6pKkMQu5cjI53+2pqp48bKW3lwg="
        );
    }

    /// A read-only SAS with a response content type, over https only. Python:
    ///
    /// ```python
    /// sts = "\n".join(["r", "", "2026-11-20T10:00:00Z",
    ///     "/blob/devstoreaccount1/files/acct/f/v1", "", "", "https", "2021-08-06", "b",
    ///     "", "", "", "", "", "", "image/png"])
    /// ```
    /// then the HMAC as above, form-encoded.
    #[test]
    fn sas_matches_an_independent_computation() {
        let query = dev_key().blob_sas(&BlobSas {
            permissions: "r",
            expiry: at(),
            container: "files",
            blob: "acct/f/v1",
            https_only: true,
            response_content_type: Some("image/png"),
        });
        assert_eq!(
            query,
            "sv=2021-08-06&se=2026-11-20T10%3A00%3A00Z&sr=b&sp=r&spr=https&rsct=image%2Fpng\
             &sig=rQj2B0AYQce3G256mEsu5bErkc%2BXropv9VQT%2FdE4JII%3D"
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let shown = format!("{:?}", dev_key());
        assert!(shown.contains("devstoreaccount1"));
        assert!(!shown.contains("Eby8"));
    }
}
