//! A real OpenLDAP `slapd` (Debian's) for the LDAP sign-in tests: its own `slapd.conf`,
//! database, self-signed certificate and entries in a temp dir, `ldap://` and `ldaps://`
//! on 127.0.0.1, run as `openldap` when that user exists; stopped (by pid) on drop.
//! Base `dc=example,dc=test`; admin `cn=admin,dc=example,dc=test`/`adminpass`; alice
//! (`alicepass`, mail alice@example.test, in cn=admins) and bob (`bobpass`, not).
//!
//! Missing slapd skips the caller's test, except under `CI=true`, where it fails.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const BASE: &str = "dc=example,dc=test";

pub struct Slapd {
    child: Child,
    pub port: u16,
    pub tls_port: u16,
    /// The server's certificate (PEM file), to trust it.
    pub ca_file: std::path::PathBuf,
    dir: TempDir,
}

/// Whether slapd and ldapadd are installed; `false` (skip) outside CI when they are not.
pub fn available() -> bool {
    let found = Path::new("/usr/sbin/slapd").exists()
        && Command::new("ldapadd").arg("-VV").output().is_ok();
    if !found && std::env::var("CI").as_deref() == Ok("true") {
        panic!("slapd is not installed and CI=true: scripts/test installs it (apt-get install slapd ldap-utils)");
    }
    if !found {
        eprintln!("skipped: slapd is not installed");
    }
    found
}

const ENTRIES: &str = "dn: dc=example,dc=test
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,dc=example,dc=test
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=test
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
uid: alice
cn: Alice Admin
sn: Admin
mail: alice@example.test
userPassword: alicepass

dn: uid=bob,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
uid: bob
cn: Bob User
sn: User
mail: bob@example.test
userPassword: bobpass

dn: cn=admins,ou=groups,dc=example,dc=test
objectClass: groupOfNames
cn: admins
member: uid=alice,ou=people,dc=example,dc=test
";

impl Slapd {
    pub fn start() -> Slapd {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let p = d.display().to_string();
        // slapd drops to openldap: it must enter the dir (mktemp makes it 0700).
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        std::fs::create_dir_all(d.join("db")).expect("db");
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("certificate");
        std::fs::write(d.join("cert.pem"), cert.cert.pem()).expect("cert");
        std::fs::write(d.join("key.pem"), cert.signing_key.serialize_pem()).expect("key");
        let conf = format!(
            "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile {p}/slapd.pid
argsfile {p}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
TLSCACertificateFile {p}/cert.pem
TLSCertificateFile {p}/cert.pem
TLSCertificateKeyFile {p}/key.pem
database mdb
maxsize 67108864
suffix \"{BASE}\"
rootdn \"cn=admin,{BASE}\"
rootpw adminpass
directory {p}/db
overlay memberof
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
"
        );
        std::fs::write(d.join("slapd.conf"), conf).expect("conf");
        let as_openldap = Command::new("id")
            .args(["-u", "openldap"])
            .output()
            .is_ok_and(|o| o.status.success());
        if as_openldap {
            let st = Command::new("chown")
                .args(["-R", "openldap:openldap", &p])
                .status()
                .expect("chown");
            assert!(st.success());
        }
        let (port, tls_port) = (super::free_port(), super::free_port());
        let mut cmd = Command::new("/usr/sbin/slapd");
        cmd.args([
            "-d",
            "none",
            "-h",
            &format!("ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/"),
            "-f",
            &format!("{p}/slapd.conf"),
        ]);
        if as_openldap {
            cmd.args(["-u", "openldap", "-g", "openldap"]);
        }
        let log = std::fs::File::create(d.join("slapd.log")).expect("log");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn slapd");
        let mut s = Slapd {
            child,
            port,
            tls_port,
            ca_file: d.join("cert.pem"),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "slapd did not start: {}",
                s.log()
            );
            assert!(
                s.child.try_wait().ok().flatten().is_none(),
                "slapd died: {}",
                s.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        s.load();
        s
    }

    /// Adds the entries online as the rootdn (so the memberof overlay sees them).
    fn load(&mut self) {
        let mut add = Command::new("ldapadd")
            .args([
                "-x",
                "-H",
                &format!("ldap://127.0.0.1:{}", self.port),
                "-D",
                &format!("cn=admin,{BASE}"),
                "-w",
                "adminpass",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ldapadd");
        add.stdin
            .take()
            .expect("stdin")
            .write_all(ENTRIES.as_bytes())
            .expect("write entries");
        let out = add.wait_with_output().expect("ldapadd");
        assert!(
            out.status.success(),
            "ldapadd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default()
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
