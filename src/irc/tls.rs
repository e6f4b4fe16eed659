//! Opening the socket to an IRC server: DNS, TCP (optionally from a local address) and
//! TLS with certificate verification. A TLS failure is an error, never a reason to try
//! plaintext.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};

use super::url::Config;

/// A plain or TLS stream.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// A connect failure, in words for the user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Cannot resolve {0}: {1}")]
    Dns(String, String),
    #[error("Cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error("Connection to {0} timed out.")]
    Timeout(String),
    #[error("TLS with {0} failed: {1}")]
    Tls(String, String),
    /// Every address of the host is refused by the outbound policy.
    #[error("Cannot connect to {0}: {1}")]
    Denied(String, crate::net::Denied),
}

impl Error {
    /// The message for a user who may not learn why a connect failed: a refused address,
    /// a closed port and a timeout all read the same, so the daemon cannot be used to
    /// scan a network. Name lookup and TLS failures (which need a reachable, allowed
    /// address first) keep their detail.
    pub fn without_detail(&self) -> String {
        match self {
            Error::Connect(target, _) | Error::Timeout(target) | Error::Denied(target, _) => {
                format!("Cannot connect to {target}.")
            }
            Error::Dns(host, _) => format!("Cannot resolve {host}."),
            Error::Tls(..) => self.to_string(),
        }
    }
}

/// Connects to `config.host:config.port`, trying each resolved address that `policy`
/// allows in turn (the check is on the address actually used, so names that resolve to
/// internal addresses, `localhost` and DNS rebinding are covered).
pub async fn connect(
    config: &Config,
    timeout: Duration,
    policy: &crate::net::Policy,
) -> Result<Stream, Error> {
    let target = format!("{}:{}", config.host, config.port);
    let addrs: Vec<SocketAddr> = tokio::time::timeout(
        timeout,
        tokio::net::lookup_host((config.host.as_str(), config.port)),
    )
    .await
    .map_err(|_| Error::Timeout(target.clone()))?
    .map_err(|e| Error::Dns(config.host.clone(), e.to_string()))?
    .filter(|a| match config.local_address {
        Some(local) => local.is_ipv4() == a.is_ipv4(),
        None => true,
    })
    .collect();
    if addrs.is_empty() {
        return Err(Error::Dns(config.host.clone(), "no usable address".into()));
    }
    let mut last = Error::Connect(target.clone(), "no address".into());
    let mut tcp = None;
    for addr in addrs {
        if let Err(denied) = policy.check(addr) {
            tracing::debug!(%denied, "address refused by the outbound policy");
            last = Error::Denied(target.clone(), denied);
            continue;
        }
        match tokio::time::timeout(timeout, tcp_connect(addr, config.local_address)).await {
            Ok(Ok(s)) => {
                tcp = Some(s);
                break;
            }
            Ok(Err(e)) => last = Error::Connect(target.clone(), e.to_string()),
            Err(_) => last = Error::Timeout(target.clone()),
        }
    }
    let tcp = tcp.ok_or(last)?;
    let _ = tcp.set_nodelay(true);
    if !config.tls {
        return Ok(Stream::Plain(tcp));
    }
    let name = ServerName::try_from(config.host.clone())
        .map_err(|e| Error::Tls(config.host.clone(), e.to_string()))?;
    let tls_config = client_config(config.tls_verify, config.client_cert.as_ref())
        .map_err(|e| Error::Tls(config.host.clone(), e))?;
    let connector = tokio_rustls::TlsConnector::from(tls_config);
    let tls = tokio::time::timeout(timeout, connector.connect(name, tcp))
        .await
        .map_err(|_| {
            let why = format!("the handshake timed out. {PLAINTEXT_HINT}");
            Error::Tls(config.host.clone(), why)
        })?
        .map_err(|e| Error::Tls(config.host.clone(), handshake_error(&e)))?;
    Ok(Stream::Tls(Box::new(tls)))
}

/// What to do when a port does not speak TLS (the usual mistake: 6667 with TLS on).
const PLAINTEXT_HINT: &str =
    "If this port is for plain IRC, turn TLS off or use the server's TLS port (often 6697).";

/// A handshake failure in words: a peer that answered with something other than TLS
/// (a plaintext IRC server greeting us) is named as such, with the way out.
fn handshake_error(e: &std::io::Error) -> String {
    use tokio_rustls::rustls::{Error as Tls, InvalidMessage};
    let not_tls = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<Tls>())
        .is_some_and(|t| {
            matches!(
                t,
                Tls::InvalidMessage(InvalidMessage::InvalidContentType)
                    | Tls::InvalidMessage(InvalidMessage::UnknownProtocolVersion)
            )
        });
    if not_tls {
        format!("this port does not speak TLS. {PLAINTEXT_HINT}")
    } else {
        e.to_string()
    }
}

async fn tcp_connect(
    addr: SocketAddr,
    local: Option<std::net::IpAddr>,
) -> std::io::Result<TcpStream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(ip) = local {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    socket.connect(addr).await
}

/// Root certificates: the system's (`SSL_CERT_FILE`/`SSL_CERT_DIR` are honoured), else
/// the Mozilla set compiled in.
pub(crate) fn roots() -> Arc<rustls::RootCertStore> {
    static ROOTS: OnceLock<Arc<rustls::RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut store = rustls::RootCertStore::empty();
            let native = rustls_native_certs::load_native_certs();
            for cert in native.certs {
                let _ = store.add(cert);
            }
            if store.is_empty() {
                store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            Arc::new(store)
        })
        .clone()
}

fn client_config(
    verify: bool,
    client_cert: Option<&crate::model::ClientCert>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = if verify {
        builder.with_root_certificates(roots())
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    };
    let config = match client_cert {
        None => builder.with_no_client_auth(),
        Some(crate::model::ClientCert { cert, key }) => {
            let certs = CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("invalid client certificate: {e:?}"))?;
            let key = PrivateKeyDer::from_pem_slice(key.expose().as_bytes())
                .map_err(|e| format!("invalid client key: {e:?}"))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("invalid client certificate: {e}"))?
        }
    };
    Ok(Arc::new(config))
}

/// `tls_verify=0`: the user explicitly accepts any certificate for this connection.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_plaintext_answer_is_named() {
        use tokio_rustls::rustls::{Error as Tls, InvalidMessage};
        let e = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            Tls::InvalidMessage(InvalidMessage::InvalidContentType),
        );
        let why = super::handshake_error(&e);
        assert!(
            why.contains("does not speak TLS") && why.contains("6697"),
            "{why}"
        );
        let other = std::io::Error::other("reset");
        assert_eq!(super::handshake_error(&other), "reset");
    }
}
