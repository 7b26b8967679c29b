import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM certificate and its key, as files and contents. */
export interface TestCert {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

export interface TestPki {
  dir: string;
  /** The CA that signs `server` and `client`. */
  ca: TestCert;
  /** A server certificate for 127.0.0.1 and localhost. */
  server: TestCert;
  /** A client certificate (`CN=<name>`, clientAuth). */
  client: TestCert;
  /** Another CA, and a client certificate it signed: what a server trusting `ca` must refuse. */
  rogueCa: TestCert;
  rogueClient: TestCert;
  /** Issues one more certificate from `ca` (e.g. a renewed server certificate). */
  issue(name: string, usage: 'server' | 'client'): TestCert;
  remove(): void;
}

const openssl = (args: string[], cwd: string): void => {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
};

/**
 * A throwaway PKI made with the `openssl` binary (EC P-256, valid two days): a CA, a server
 * certificate for loopback, a client certificate, and a second CA with a client certificate of
 * its own. Everything lives in a temp directory until `remove()`.
 */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'nm-pki-'));
  const load = (name: string): TestCert => {
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
  };
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const makeCa = (name: string): TestCert => {
    openssl(['req', '-x509', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
    return load(name);
  };
  let serial = 1000;
  const issueFrom = (ca: string, name: string, usage: 'server' | 'client'): TestCert => {
    const ext = join(dir, `${name}.ext`);
    writeFileSync(
      ext,
      usage === 'server'
        ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
        : 'extendedKeyUsage=clientAuth\n',
    );
    openssl(['req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
    serial += 1;
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(serial), '-out', `${name}.crt`, '-days', '2', '-extfile', ext], dir);
    return load(name);
  };
  const ca = makeCa('test-ca');
  const rogueCa = makeCa('rogue-ca');
  return {
    dir,
    ca,
    server: issueFrom('test-ca', 'server', 'server'),
    client: issueFrom('test-ca', 'alertmanager', 'client'),
    rogueCa,
    rogueClient: issueFrom('rogue-ca', 'rogue-client', 'client'),
    issue: (name, usage) => issueFrom('test-ca', name, usage),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
