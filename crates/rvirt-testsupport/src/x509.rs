//! x509 files for TLS tests, made at test time with the `openssl` command (Debian's `openssl`
//! package): P-256 keys, certificates valid for two days.

use std::path::Path;
use std::process::Command;

/// The extensions of a server certificate, without a subjectAltName.
pub const SERVER_EXT_NO_SAN: &str = "basicConstraints=CA:FALSE\n\
                                     keyUsage=digitalSignature,keyEncipherment\n\
                                     extendedKeyUsage=serverAuth\n";

/// The extensions of a client certificate.
pub const CLIENT_EXT: &str = "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
                              extendedKeyUsage=clientAuth\n";

/// The extensions of a server certificate for the names `san` (`DNS:localhost,IP:127.0.0.1`).
pub fn server_ext(san: &str) -> String {
    format!("{SERVER_EXT_NO_SAN}subjectAltName={san}\n")
}

/// Runs openssl with `args` in `dir`; panics with its output if it fails.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command is needed: apt-get install openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// openssl's arguments for a new P-256 key without a passphrase, up to the key file's name.
const NEW_KEY: [&str; 6] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
];

/// Makes a self-signed CA in `dir`, subject `subj`: `{name}cert.pem` and `{name}key.pem`.
pub fn ca(dir: &Path, name: &str, subj: &str) {
    let (key, cert) = (format!("{name}key.pem"), format!("{name}cert.pem"));
    let mut args = vec!["req", "-x509"];
    args.extend(NEW_KEY);
    args.extend([
        &key,
        "-out",
        &cert,
        "-days",
        "2",
        "-subj",
        subj,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &args);
}

/// Makes `{name}key.pem` and `{name}cert.pem` in `dir`, subject `subj`, signed by the CA `ca`
/// that [`ca`] made there, with the extensions `ext` (an openssl extension file's text).
pub fn leaf(dir: &Path, ca: &str, name: &str, subj: &str, ext: &str) {
    let (key, csr, cert, extfile) = (
        format!("{name}key.pem"),
        format!("{name}.csr"),
        format!("{name}cert.pem"),
        format!("{name}.ext"),
    );
    let mut args = vec!["req"];
    args.extend(NEW_KEY);
    args.extend([&key, "-out", &csr, "-subj", subj]);
    openssl(dir, &args);
    std::fs::write(dir.join(&extfile), ext).expect("the openssl extension file is written");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &format!("{ca}cert.pem"),
            "-CAkey",
            &format!("{ca}key.pem"),
            "-CAcreateserial",
            "-out",
            &cert,
            "-days",
            "2",
            "-extfile",
            &extfile,
        ],
    );
}
