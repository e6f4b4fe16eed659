//! A real InspIRCd for tests: its own temp directory, config, TLS certificate signed by a
//! test CA, plain and TLS ports on 127.0.0.1. Missing `inspircd` skips the test loudly,
//! except under `CI=true`, where it fails.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A running InspIRCd, optionally linked to Atheme services (SASL, NickServ).
pub struct Ircd {
    pub dir: TempDir,
    pub port: u16,
    pub tls_port: u16,
    child: Option<Child>,
    services: Option<Child>,
}

/// `Some(path)` of inspircd, `None` when absent outside CI (the caller skips).
pub fn available() -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v inspircd"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("inspircd is not installed and CI=true: scripts/test installs it (apt-get install inspircd)");
        }
        eprintln!("\n*** SKIPPED: inspircd is not installed (apt-get install inspircd) ***\n");
    }
    found
}

impl Ircd {
    /// Starts a server and waits until it accepts registrations.
    pub fn start() -> Ircd {
        Ircd::start_with(None)
    }

    /// Starts a server linked to Atheme services (SASL PLAIN and EXTERNAL, NickServ with
    /// REGISTER and CERT) and waits until the services have synced.
    pub fn start_with_services() -> Ircd {
        let link_port = super::free_port();
        let mut ircd = Ircd::start_with(Some(link_port));
        ircd.spawn_services(link_port);
        ircd
    }

    fn start_with(link_port: Option<u16>) -> Ircd {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = super::free_port();
        let tls_port = super::free_port();
        write_certs(dir.path());
        let mut conf = config(dir.path(), port, tls_port);
        if let Some(link) = link_port {
            conf.push_str(&services_link(link));
        }
        std::fs::write(dir.path().join("inspircd.conf"), conf).expect("write config");
        std::fs::write(dir.path().join("motd.txt"), "Welcome to the test server\n").expect("motd");
        let mut ircd = Ircd {
            dir,
            port,
            tls_port,
            child: None,
            services: None,
        };
        ircd.spawn();
        ircd
    }

    fn spawn(&mut self) {
        let out = std::fs::File::create(self.dir.path().join("inspircd.out")).expect("log file");
        let child = Command::new("inspircd")
            .arg("--nofork")
            .arg("--runasroot")
            .arg(format!(
                "--config={}",
                self.dir.path().join("inspircd.conf").display()
            ))
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup"))
            .stderr(out)
            .spawn()
            .expect("spawn inspircd");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && TcpStream::connect(("127.0.0.1", self.tls_port)).is_ok()
            {
                return;
            }
            let log = self.log();
            assert!(
                !log.contains("failed to bind"),
                "inspircd could not bind its ports: {log}"
            );
            assert!(
                Instant::now() < deadline,
                "inspircd did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Atheme refuses to run as root: it runs as `nobody`, in a directory it owns.
    fn spawn_services(&mut self, link_port: u16) {
        let dir = self.dir.path().join("atheme");
        std::fs::create_dir_all(&dir).expect("atheme dir");
        std::fs::write(dir.join("services.db"), "").expect("services db");
        std::fs::write(dir.join("atheme.conf"), atheme_config(link_port)).expect("atheme conf");
        let status = Command::new("chown")
            .args(["-R", "nobody"])
            .arg(&dir)
            .status()
            .expect("chown");
        assert!(status.success(), "chown nobody {}", dir.display());
        // The temp dir itself is 0700: let nobody reach its own directory.
        make_traversable(self.dir.path());
        let out = std::fs::File::create(self.dir.path().join("atheme.out")).expect("log");
        let child = Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg("atheme-services")
            .arg("-n")
            .arg("-c")
            .arg(dir.join("atheme.conf"))
            .arg("-D")
            .arg(&dir)
            .arg("-l")
            .arg(dir.join("atheme.log"))
            .arg("-p")
            .arg(dir.join("atheme.pid"))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup"))
            .stderr(out)
            .spawn()
            .expect("spawn atheme-services");
        self.services = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.services_log().contains("finished synching") {
            assert!(
                Instant::now() < deadline,
                "atheme did not sync: {}\n{}",
                self.services_log(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn services_log(&self) -> String {
        let out = std::fs::read_to_string(self.dir.path().join("atheme.out")).unwrap_or_default();
        let log =
            std::fs::read_to_string(self.dir.path().join("atheme/atheme.log")).unwrap_or_default();
        out + &log
    }

    /// Kills the server (as a crash would).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills and starts again on the same ports.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("inspircd.out")).unwrap_or_default()
    }

    /// The CA certificate that signed the server's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// `irc://127.0.0.1:PORT/...?tls=0&nick=NICK` plus `extra` query.
    pub fn url(&self, nick: &str, extra: &str) -> String {
        format!("irc://127.0.0.1:{}?tls=0&nick={nick}{extra}", self.port)
    }
}

impl Drop for Ircd {
    fn drop(&mut self) {
        if let Some(mut c) = self.services.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.kill();
    }
}

/// Whether Atheme is installed; like [`available`], fails under `CI=true` when it is not.
pub fn services_available() -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v atheme-services && command -v setpriv"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("atheme-services is not installed and CI=true: scripts/test installs it");
        }
        eprintln!("\n*** SKIPPED: atheme-services is not installed ***\n");
    }
    found && available()
}

fn make_traversable(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = std::fs::metadata(dir).expect("stat").permissions();
    perms.set_mode(perms.mode() | 0o711);
    std::fs::set_permissions(dir, perms).expect("chmod");
}

/// The InspIRCd side of the services link (spanningtree, SASL handed to the services).
fn services_link(link_port: u16) -> String {
    format!(
        r#"<module name="spanningtree">
<bind address="127.0.0.1" port="{link_port}" type="servers">
<link name="services.irc.test" ipaddr="127.0.0.1" port="{link_port}" sendpass="linkpass" recvpass="linkpass" allowmask="127.0.0.1/32">
<uline server="services.irc.test" silent="yes">
<module name="svshold"><module name="services_account">
<module name="sasl"><sasl target="services.irc.test" requiressl="no">
"#
    )
}

/// Atheme with NickServ (REGISTER, IDENTIFY, CERT) and SaslServ (PLAIN, EXTERNAL).
fn atheme_config(link_port: u16) -> String {
    format!(
        r##"loadmodule "modules/protocol/inspircd"; loadmodule "modules/backend/opensex"; loadmodule "modules/crypto/pbkdf2v2";
loadmodule "modules/nickserv/main"; loadmodule "modules/nickserv/register"; loadmodule "modules/nickserv/identify";
loadmodule "modules/nickserv/login"; loadmodule "modules/nickserv/logout"; loadmodule "modules/nickserv/info";
loadmodule "modules/nickserv/cert";
loadmodule "modules/saslserv/main"; loadmodule "modules/saslserv/plain"; loadmodule "modules/saslserv/external";
serverinfo {{ name = "services.irc.test"; desc = "Atheme"; numeric = "00A"; recontime = 1; netname = "TestNet";
  hidehostsuffix = "users.test"; adminname = "admin"; adminemail = "admin@irc.test"; registeremail = "noreply@irc.test";
  auth = none; loglevel = {{ admin; error; info; network; }}; maxlogins = 5; maxusers = 5; mdlimit = 30;
  emaillimit = 10; emailtime = 300; casemapping = rfc1459; }};
uplink "irc.test" {{ host = "127.0.0.1"; port = {link_port}; send_password = "linkpass"; receive_password = "linkpass"; }};
nickserv {{ nick = "NickServ"; user = "NickServ"; host = "services.irc.test"; real = "Nickname Services"; maxnicks = 5; expire = 0; }};
saslserv {{ nick = "SaslServ"; user = "SaslServ"; host = "services.irc.test"; real = "SASL agent"; }};
general {{ helpchan = "#help"; join_chans = no; leave_chans = no; uflags = {{ hidemail; }}; cflags = {{ guard; verbose; }};
  raw = no; secure = no; flood_msgs = 0; flood_time = 10; kline_time = 7; commit_interval = 1; expire = 0;
  maxchanacs = 0; mdlimit = 30; immune_level = immune; show_entity_id = no; load_database_mdeps = yes; hide_opers = no; }};
database {{ backend = "opensex"; }};
"##
    )
}

fn write_certs(dir: &std::path::Path) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Convos test CA");
    let ca_key = KeyPair::generate().expect("ca key");
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
    let leaf_params = CertificateParams::new(vec!["localhost".to_string()]).expect("leaf");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).expect("sign");
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).expect("write ca");
    std::fs::write(dir.join("cert.pem"), leaf.pem()).expect("write cert");
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).expect("write key");
}

fn config(dir: &std::path::Path, port: u16, tls_port: u16) -> String {
    let d = dir.display();
    format!(
        r#"<server name="irc.test" description="test server" network="TestNet">
<admin name="admin" nick="admin" email="admin@irc.test">
<bind address="127.0.0.1" port="{port}" type="clients">
<bind address="127.0.0.1" port="{tls_port}" type="clients" sslprofile="Clients">
<module name="ssl_gnutls">
<sslprofile name="Clients" provider="gnutls" certfile="{d}/cert.pem" keyfile="{d}/key.pem" hash="sha512" requestclientcert="yes">
<module name="sslinfo">
<connect allow="*" timeout="60" pingfreq="120" threshold="1000" commandrate="1000000" recvq="65536" sendq="1048576" localmax="1000" globalmax="1000" maxchans="50" limit="5000" useident="no" usednsbl="no" resolvehostnames="no">
<class name="Shutdown" commands="DIE RESTART REHASH LOADMODULE UNLOADMODULE RELOADMODULE SETHOST">
<module name="sethost">
<type name="NetAdmin" classes="Shutdown">
<oper name="oper" password="operpass" host="*@*" type="NetAdmin">
<files motd="{d}/motd.txt">
<pid file="{d}/inspircd.pid">
<dns server="127.0.0.1" timeout="1">
<options prefixquit="Quit: " hostintopic="yes" defaultmodes="not">
<security hidesplits="no" hideulines="no" announceinvites="dynamic" runasuser="" runasgroup="">
<performance netbuffersize="10240" somaxconn="128" softlimit="1024" clonesonconnect="no" timeskipwarn="2s" quietbursts="yes">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{d}/inspircd.log">
<module name="cap"><module name="ircv3"><module name="ircv3_accounttag"><module name="ircv3_batch">
<module name="ircv3_capnotify"><module name="ircv3_chghost"><module name="ircv3_ctctags">
<module name="ircv3_echomessage"><module name="ircv3_invitenotify"><module name="ircv3_labeledresponse">
<module name="ircv3_msgid"><module name="ircv3_servertime">
<module name="monitor"><module name="namesx"><module name="uhnames"><module name="setname">
<module name="sha256">
"#
    )
}

/// A plain IRC client for tests: registers, then reads and writes lines.
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    pub nick: String,
}

impl Client {
    /// Connects and registers as `nick` (waits for 001).
    pub fn connect(port: u16, nick: &str) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let writer = stream.try_clone().expect("clone");
        let mut c = Client {
            reader: BufReader::new(stream),
            writer,
            nick: nick.into(),
        };
        c.send(&format!("NICK {nick}"));
        c.send(&format!("USER {nick} 0 * :{nick}"));
        c.wait_for(|l| l.contains(" 001 "));
        c
    }

    pub fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("write");
    }

    /// Reads lines until one matches (answering PING); panics after 20 s.
    pub fn wait_for(&mut self, mut pred: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            assert!(Instant::now() < deadline, "{}: line never came", self.nick);
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => panic!("{}: connection closed", self.nick),
                Ok(_) => {}
                Err(e) => panic!("{}: read failed: {e}", self.nick),
            }
            let line = line.trim_end().to_string();
            if let Some(token) = line.strip_prefix("PING ") {
                self.send(&format!("PONG {token}"));
                continue;
            }
            if pred(&line) {
                return line;
            }
        }
    }
}
