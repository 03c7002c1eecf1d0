import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Storage rules are only as good as the real API's behaviour (conditional writes, pagination,
// missing tables), so they are tested against moto, the local stack's endpoint, started per test
// file on a free loopback port with no state file.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const python = path.join(repoRoot, '.cache', 'venv', 'bin', 'python');

/** A moto server of this test file: its endpoint (DynamoDB and S3) and how to stop it. */
export interface MotoServer {
  readonly endpoint: string;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForEndpoint(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}`);
    const answered = await fetch(url).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`moto did not answer on ${url} within 30 s`);
}

/** Starts moto on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<MotoServer> {
  if (!existsSync(python)) throw new Error(`the Python venv is missing at ${python}; run npm run setup`);
  const port = await freePort();
  const moto = spawn(
    python,
    [path.join(repoRoot, 'local', 'moto', 'serve.py'), '-H', '127.0.0.1', '-p', String(port)],
    { stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForEndpoint(endpoint, moto);
  } catch (error) {
    moto.kill('SIGTERM');
    throw error;
  }
  return { endpoint, stop: () => moto.kill('SIGTERM') };
}
