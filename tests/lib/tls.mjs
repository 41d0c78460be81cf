// TLS helpers for the tests: a self-signed certificate made with the one
// openssl command the README gives, a certificate renewal the way certbot
// does it, and a bare TLS handshake that reports what a server negotiated
// and which certificate it served.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';

let certificateCounter = 0;

// A self-signed certificate for localhost and 127.0.0.1 with common name cn,
// written into dir. Returns {cert, key, pem, fingerprint}: the two file
// paths, the certificate's PEM text and its SHA-256 fingerprint as node's
// getPeerCertificate() spells it.
export function makeCertificate(dir, cn = 'localhost') {
  certificateCounter += 1;
  const cert = join(dir, `cert-${process.pid}-${certificateCounter}.pem`);
  const key = join(dir, `key-${process.pid}-${certificateCounter}.pem`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert],
    { stdio: 'ignore', timeout: 20000 },
  );
  const pem = readFileSync(cert);
  return { cert, key, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

// Puts source's files ({cert, key}) at target's paths, each by a rename as
// certbot's symlink switch does, so a reader never sees half a file.
export function installCertificate(target, source) {
  for (const [from, to] of [[source.cert, target.cert], [source.key, target.key]]) {
    copyFileSync(from, `${to}.new`);
    renameSync(`${to}.new`, to);
  }
}

// One TLS handshake with 127.0.0.1:port (node tls.connect options on top;
// the certificate is not checked unless they say so). Resolves with
// {fingerprint, protocol, cipher, alpn, authorized}, or rejects with the
// handshake's error (5 s at most).
export function handshake(port, options = {}) {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ...options });
    socket.setTimeout(5000, () => socket.destroy(new Error('handshake timed out')));
    socket.once('secureConnect', () => {
      const result = {
        fingerprint: socket.getPeerCertificate().fingerprint256,
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().name,
        alpn: socket.alpnProtocol,
        authorized: socket.authorized,
      };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', reject);
  });
}
