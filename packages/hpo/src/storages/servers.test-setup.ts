// Test helpers that start real Redis and PostgreSQL servers on a free loopback port in a temporary
// folder (installing them with apt-get when running as root on a bare Debian machine).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installDebianPackage } from '@ft/test-utils';

export interface TestServer {
  /** Connection URL on 127.0.0.1. */
  url: string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The binary, installing `pkg` first when missing and allowed to (root); else a clear error. */
function ensureInstalled(find: () => string | undefined, pkg: string, what: string): string {
  const found = find();
  if (found) return found;
  installDebianPackage(pkg);
  const installed = find();
  if (!installed) throw new Error(`apt-get installed ${pkg} but ${what} is still not found`);
  return installed;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

function collectOutput(proc: ChildProcess): () => string {
  let output = '';
  const add = (data: Buffer) => {
    output = (output + data.toString()).slice(-4000);
  };
  proc.stdout?.on('data', add);
  proc.stderr?.on('data', add);
  return () => output;
}

async function stopProcess(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((done) => proc.once('exit', done));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Polls `ready` until it holds, failing early when the server process exits. */
async function waitReady(
  what: string,
  proc: ChildProcess,
  output: () => string,
  ready: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(
        `${what} exited (${proc.exitCode ?? proc.signalCode}) while starting:\n${output()}`,
      );
    }
    if (await ready()) return;
    await sleep(50);
  }
  await stopProcess(proc, 'SIGKILL');
  throw new Error(`${what} did not become ready within ${timeoutMs} ms:\n${output()}`);
}

// ---------------------------------------------------------------------------------------------
// Redis

function findRedis(): string | undefined {
  for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/** Starts a throwaway redis-server (no persistence) on a free 127.0.0.1 port. */
export async function startRedis(): Promise<TestServer> {
  const binary = ensureInstalled(findRedis, 'redis-server', 'redis-server');
  const dir = await mkdtemp(join(tmpdir(), 'ft-hpo-redis-'));
  const port = await freePort();
  const proc = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = collectOutput(proc);
  try {
    await waitReady('redis-server', proc, output, () => redisPing(port));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await stopProcess(proc, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** PostgreSQL refuses to run as root, so root runs it as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/bin/false', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function run(
  binary: string,
  args: string[],
  user: { uid: number; gid: number } | undefined,
  cwd: string,
) {
  return new Promise<void>((done, fail) => {
    const proc = spawn(binary, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...user });
    const output = collectOutput(proc);
    proc.on('error', fail);
    proc.on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`${binary} exited with ${code}:\n${output()}`)),
    );
  });
}

/** Starts a throwaway PostgreSQL cluster (trust auth, no fsync) on a free 127.0.0.1 port. */
export async function startPostgres(): Promise<TestServer> {
  const bin = ensureInstalled(findPostgresBin, 'postgresql', 'PostgreSQL (initdb)');
  const user = serverUser();
  // The server user must reach the folder; root's own TMPDIR (e.g. under /root) may be closed.
  const dir = await mkdtemp(join(user ? '/tmp' : tmpdir(), 'ft-hpo-pg-'));
  const data = join(dir, 'data');
  await mkdir(data);
  if (user) {
    await chown(dir, user.uid, user.gid);
    await chown(data, user.uid, user.gid);
  }
  try {
    await run(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth', 'trust', '--no-sync', '-E', 'UTF8', '--no-locale'],
      user,
      dir,
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  const proc = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...user },
  );
  const output = collectOutput(proc);
  const isReady = () =>
    new Promise<boolean>((done) => {
      const check = spawn(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']);
      check.on('error', () => done(false));
      check.on('exit', (code) => done(code === 0));
    });
  try {
    await waitReady('postgres', proc, output, isReady);
  } catch (error) {
    await stopProcess(proc, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      // SIGINT: PostgreSQL's fast shutdown (disconnects clients instead of waiting for them).
      await stopProcess(proc, 'SIGINT');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
