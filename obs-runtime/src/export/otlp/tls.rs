//! The connector under both protocols: plain TCP for `http://` endpoints,
//! and, with the `otlp` feature, rustls for `https://` ones, trusting the
//! system's roots or the target's CA file, with a client certificate when
//! one is given (mTLS). One TLS set-up serves gRPC and HTTP alike.

use crate::config::{ConfigError, TlsFiles};
use hyper_util::client::legacy::connect::HttpConnector;

/// What the connection carries, announced by ALPN on TLS connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Alpn {
    /// gRPC: HTTP/2 only.
    Http2,
    /// HTTP/protobuf: HTTP/1.1 (or HTTP/2, if the collector prefers it).
    Http1,
}

fn tcp() -> HttpConnector {
    let mut http = HttpConnector::new();
    // The TLS layer above takes `https` URIs; without it, `https` endpoints
    // are refused when the configuration is read.
    http.enforce_http(false);
    http.set_nodelay(true);
    http
}

#[cfg(feature = "otlp")]
pub(super) type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

#[cfg(not(feature = "otlp"))]
pub(super) type Connector = HttpConnector;

/// The connector for a target's TLS files.
#[cfg(not(feature = "otlp"))]
pub(super) fn connector(_: &TlsFiles, _: Alpn) -> Result<Connector, ConfigError> {
    Ok(tcp())
}

/// The connector for a target's TLS files: rustls (with ring) over TCP,
/// used for `https` URIs, plain TCP for `http` ones.
#[cfg(feature = "otlp")]
pub(super) fn connector(files: &TlsFiles, alpn: Alpn) -> Result<Connector, ConfigError> {
    let config = client_config(files)?;
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http();
    Ok(match alpn {
        Alpn::Http2 => builder.enable_http2().wrap_connector(tcp()),
        Alpn::Http1 => builder.enable_http1().enable_http2().wrap_connector(tcp()),
    })
}

// What errors call each file: the variables that set it, general or per
// signal (the same files can also be given in code).
#[cfg(feature = "otlp")]
const CA_CERTIFICATE: &str = "the CA certificate (OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE)";
#[cfg(feature = "otlp")]
const CLIENT_CERTIFICATE: &str =
    "the client certificate (OTEL_EXPORTER_OTLP_[SIGNAL_]CLIENT_CERTIFICATE)";
#[cfg(feature = "otlp")]
const CLIENT_KEY: &str = "the client key (OTEL_EXPORTER_OTLP_[SIGNAL_]CLIENT_KEY)";

/// An error about the PEM file at `path`, set by `variable`.
#[cfg(feature = "otlp")]
fn unreadable(
    variable: &'static str,
    path: &std::path::Path,
    err: &dyn std::fmt::Display,
) -> ConfigError {
    ConfigError::invalid(
        variable,
        path.display().to_string(),
        format!("a readable PEM file ({err})"),
    )
}

/// The certificates of the PEM file at `path` (at least one).
#[cfg(feature = "otlp")]
fn certificates(
    variable: &'static str,
    path: &std::path::Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, ConfigError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|err| unreadable(variable, path, &err))?
        .collect::<Result<_, _>>()
        .map_err(|err| unreadable(variable, path, &err))?;
    if certs.is_empty() {
        return Err(unreadable(variable, path, &"it holds no certificate"));
    }
    Ok(certs)
}

#[cfg(feature = "otlp")]
fn client_config(files: &TlsFiles) -> Result<rustls::ClientConfig, ConfigError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::PrivateKeyDer;

    let mut roots = rustls::RootCertStore::empty();
    match &files.ca_certificate {
        // A CA file replaces the system's roots: the collector is trusted
        // through it alone, as the OpenTelemetry specification reads.
        Some(path) => {
            for cert in certificates(CA_CERTIFICATE, path)? {
                roots
                    .add(cert)
                    .map_err(|err| unreadable(CA_CERTIFICATE, path, &err))?;
            }
        }
        None => {
            // Certificates the system store holds but rustls cannot parse
            // are skipped, as every rustls user does.
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|err| ConfigError::Start {
        what: "TLS",
        reason: err.to_string(),
    })?
    .with_root_certificates(roots);
    match (&files.client_certificate, &files.client_key) {
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(cert_path), Some(key_path)) => {
            let chain = certificates(CLIENT_CERTIFICATE, cert_path)?;
            let key = PrivateKeyDer::from_pem_file(key_path)
                .map_err(|err| unreadable(CLIENT_KEY, key_path, &err))?;
            builder.with_client_auth_cert(chain, key).map_err(|err| {
                ConfigError::invalid(
                    CLIENT_KEY,
                    key_path.display().to_string(),
                    format!("the private key of the client certificate ({err})"),
                )
            })
        }
        (Some(path), None) | (None, Some(path)) => {
            let (given, missing) = if files.client_certificate.is_some() {
                (CLIENT_CERTIFICATE, CLIENT_KEY)
            } else {
                (CLIENT_KEY, CLIENT_CERTIFICATE)
            };
            Err(ConfigError::invalid(
                given,
                path.display().to_string(),
                format!("a client certificate and key given together ({missing} is not set)"),
            ))
        }
    }
}
