import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { StackInstallFailedError } from './errors.js';
import type { StackPaths } from './paths.js';
import type { Progress } from './progress.js';

const execFileAsync = promisify(execFile);

/** The files of the native Kafka TLS listener. */
export interface KafkaTlsFiles {
  /** The local CA's certificate: what a client must trust (the MSK mode trusts a public CA instead). */
  readonly caPem: string;
  /**
   * The broker's PEM key store: its private key (PKCS#8, unencrypted, in a folder only this user can
   * read) followed by its certificate and the CA's, as Kafka's `ssl.keystore.type=PEM` reads a file.
   */
  readonly brokerKeystorePem: string;
}

export function kafkaTlsFiles(paths: StackPaths): KafkaTlsFiles {
  return {
    caPem: path.join(paths.kafkaTls, 'ca.pem'),
    brokerKeystorePem: path.join(paths.kafkaTls, 'broker-keystore.pem'),
  };
}

/**
 * Creates, once per stack directory, a local CA and a broker certificate it signs for 127.0.0.1 and
 * localhost (clients verify the broker's address, as they do MSK's): ECDSA P-256 keys made by openssl.
 * The CA's key is discarded after signing, so nothing else can ever be signed with it.
 */
export async function ensureKafkaTls(paths: StackPaths, progress: Progress): Promise<KafkaTlsFiles> {
  const files = kafkaTlsFiles(paths);
  if (Object.values(files).every((file) => existsSync(file))) return files;
  progress.step('creating a local CA and the Kafka broker certificate (openssl)');
  rmSync(paths.kafkaTls, { recursive: true, force: true });
  mkdirSync(paths.kafkaTls, { recursive: true, mode: 0o700 });
  const inDir = (name: string) => path.join(paths.kafkaTls, name);
  const openssl = async (args: string[]) => {
    try {
      await execFileAsync('openssl', args, { cwd: paths.kafkaTls });
    } catch (error) {
      throw new StackInstallFailedError(
        `openssl ${args[0]} failed while creating the Kafka TLS files: ${(error as { stderr?: string }).stderr ?? error}`,
        { cause: error },
      );
    }
  };
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '3650',
    '-subj',
    '/CN=AppHub Streaming local CA',
  ]);
  await openssl([
    'req',
    ...ecKey,
    '-keyout',
    'broker-key.pem',
    '-out',
    'broker.csr',
    '-subj',
    '/CN=127.0.0.1',
  ]);
  writeFileSync(
    inDir('broker.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    'broker.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-out',
    'broker.pem',
    '-days',
    '3650',
    '-extfile',
    'broker.ext',
  ]);
  const pem = (name: string) => readFileSync(inDir(name), 'utf8');
  writeFileSync(files.brokerKeystorePem, pem('broker-key.pem') + pem('broker.pem') + pem('ca.pem'), {
    mode: 0o600,
  });
  for (const leftover of [
    'ca-key.pem',
    'ca.srl',
    'broker.csr',
    'broker.ext',
    'broker.pem',
    'broker-key.pem',
  ]) {
    rmSync(inDir(leftover), { force: true });
  }
  progress.detail(`CA certificate ${files.caPem}`);
  return files;
}
