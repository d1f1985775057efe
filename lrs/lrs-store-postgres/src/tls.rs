//! TLS to PostgreSQL, with libpq's `sslmode` meanings.
//!
//! Managed PostgreSQL services require TLS, and administrators write connection URLs the way
//! libpq reads them. tokio-postgres knows only `sslmode=disable|prefer|require` and no
//! certificate parameters, so this module takes the TLS parameters off the URL and builds the
//! rustls configuration itself:
//!
//! | `sslmode`            | encrypted                  | server certificate checked           |
//! |----------------------|----------------------------|--------------------------------------|
//! | `disable`            | no                         | —                                    |
//! | `allow`, `prefer`    | if the server offers it    | no (as libpq)                        |
//! | `require`            | yes                        | no; chain only if `sslrootcert` given |
//! | `verify-ca`          | yes                        | chain to a trusted root              |
//! | `verify-full`        | yes                        | chain and host name                  |
//!
//! `sslrootcert=PATH` names a PEM file of trusted roots; without it the system's roots are used.
//! `prefer` is the default, as in libpq. Encryption without a checked certificate protects
//! against eavesdropping, not against an impostor: production URLs should say `verify-full`.

use std::path::PathBuf;
use std::sync::Arc;

use lrs_core::StoreError;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verify {
    /// Nothing: encryption only.
    Nothing,
    /// The chain to a trusted root, not the host name.
    Chain,
    /// The chain and the host name.
    Full,
}

/// The TLS part of a connection URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    pub(crate) mode: SslMode,
    pub(crate) verify: Verify,
    pub(crate) root_cert: Option<PathBuf>,
}

/// Takes `sslmode` and `sslrootcert` off a `postgres://` URL: returns the URL without them
/// (for tokio-postgres) and what they ask for.
pub(crate) fn split_url(url: &str) -> Result<(String, TlsSettings), StoreError> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, query),
        None => (url, ""),
    };
    let mut sslmode: Option<String> = None;
    let mut root_cert: Option<PathBuf> = None;
    let mut kept: Vec<(String, String)> = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "sslmode" => sslmode = Some(value.into_owned()),
            "sslrootcert" => root_cert = Some(PathBuf::from(value.as_ref())),
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    let (mode, verify) = match sslmode.as_deref().unwrap_or("prefer") {
        "disable" => (SslMode::Disable, Verify::Nothing),
        "allow" | "prefer" => (SslMode::Prefer, Verify::Nothing),
        // libpq: `require` with a root certificate file behaves like `verify-ca`.
        "require" if root_cert.is_some() => (SslMode::Require, Verify::Chain),
        "require" => (SslMode::Require, Verify::Nothing),
        "verify-ca" => (SslMode::Require, Verify::Chain),
        "verify-full" => (SslMode::Require, Verify::Full),
        other => {
            return Err(StoreError::Backend(format!(
                "invalid postgresql url: sslmode={other:?} is not one of disable, allow, prefer, \
                 require, verify-ca, verify-full"
            )));
        }
    };
    let mut out = base.to_owned();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish(),
        );
    }
    Ok((
        out,
        TlsSettings {
            mode,
            verify,
            root_cert,
        },
    ))
}

/// The connector for tokio-postgres. Built even for `disable` (it is then never used). Every
/// configuration names the ring provider explicitly instead of relying on a process-wide
/// default that another crate might install.
pub(crate) fn connector(settings: &TlsSettings) -> Result<MakeRustlsConnect, StoreError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(&e))?;
    let config = match settings.verify {
        Verify::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly {
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
        Verify::Full => builder
            .with_root_certificates(roots(settings)?)
            .with_no_client_auth(),
        Verify::Chain => {
            let inner = WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots(settings)?),
                provider.clone(),
            )
            .build()
            .map_err(|e| StoreError::Backend(format!("postgresql tls: {e}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly { inner }))
                .with_no_client_auth()
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

fn tls_error(e: &rustls::Error) -> StoreError {
    StoreError::Backend(format!("postgresql tls: {e}"))
}

/// Trusted roots: the `sslrootcert` file, or the system's.
fn roots(settings: &TlsSettings) -> Result<RootCertStore, StoreError> {
    let mut store = RootCertStore::empty();
    match &settings.root_cert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    StoreError::Backend(format!(
                        "postgresql tls: reading sslrootcert {}: {e}",
                        path.display()
                    ))
                })?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(StoreError::Backend(format!(
                    "postgresql tls: sslrootcert {} holds no usable certificate",
                    path.display()
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err(StoreError::Backend(
                    "postgresql tls: the certificate is to be verified but the system has no \
                     trusted roots; give sslrootcert=PATH"
                        .into(),
                ));
            }
        }
    }
    Ok(store)
}

/// libpq's `prefer`/`require`: any certificate is accepted, but the handshake signatures must
/// still be valid for the certificate presented.
#[derive(Debug)]
struct EncryptOnly {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// libpq's `verify-ca`: the chain must lead to a trusted root; the host name is not checked.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn libpq_modes() {
        let cases = [
            ("postgres://u@h/db", SslMode::Prefer, Verify::Nothing),
            (
                "postgres://u@h/db?sslmode=disable",
                SslMode::Disable,
                Verify::Nothing,
            ),
            (
                "postgres://u@h/db?sslmode=allow",
                SslMode::Prefer,
                Verify::Nothing,
            ),
            (
                "postgres://u@h/db?sslmode=require",
                SslMode::Require,
                Verify::Nothing,
            ),
            (
                "postgres://u@h/db?sslmode=verify-ca",
                SslMode::Require,
                Verify::Chain,
            ),
            (
                "postgres://u@h/db?sslmode=verify-full",
                SslMode::Require,
                Verify::Full,
            ),
            (
                "postgres://u@h/db?sslmode=require&sslrootcert=%2Fetc%2Fca.pem",
                SslMode::Require,
                Verify::Chain,
            ),
        ];
        for (url, mode, verify) in cases {
            let (rest, s) = split_url(url).unwrap();
            assert_eq!((s.mode, s.verify), (mode, verify), "{url}");
            assert_eq!(rest, "postgres://u@h/db", "{url}");
        }
    }

    #[test]
    fn other_parameters_stay_and_the_root_file_is_decoded() {
        let (rest, s) = split_url(
            "postgres://u@h/db?application_name=x&sslrootcert=%2Ftmp%2Fa%20b.pem&connect_timeout=5",
        )
        .unwrap();
        assert_eq!(
            rest,
            "postgres://u@h/db?application_name=x&connect_timeout=5"
        );
        assert_eq!(s.root_cert, Some(PathBuf::from("/tmp/a b.pem")));
    }

    #[test]
    fn unknown_mode_is_refused_by_name() {
        let e = split_url("postgres://u@h/db?sslmode=verify_full").unwrap_err();
        assert!(e.to_string().contains("verify_full"), "{e}");
    }

    #[test]
    fn a_missing_root_file_is_reported() {
        let (_, s) =
            split_url("postgres://u@h/db?sslmode=verify-full&sslrootcert=/nonexistent.pem")
                .unwrap();
        let Err(e) = connector(&s) else {
            panic!("a missing file must fail")
        };
        assert!(e.to_string().contains("/nonexistent.pem"), "{e}");
    }
}
