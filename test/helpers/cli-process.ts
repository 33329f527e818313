import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { waitFor } from './wait-for.js';

/** The repository root (dist/test/helpers/ → ../../..), the cwd of every CLI process. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The built `switchboard` command. */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** How long a CLI process may take to exit after SIGTERM before the test fails (grace + margin). */
const EXIT_WAIT_MS = 15_000;

export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Waits until a stdout line matches and returns the match; fails with the output so far if the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** Sends SIGTERM and waits for the exit, bounded; returns the exit code. */
  terminate(): Promise<number | NodeJS.Signals>;
}

/**
 * Starts `switchboard <args>` as a real process with SWITCHBOARD_LOG_LEVEL=warn, in the repo
 * root, node started with `nodeArgs`. The process is killed in t.after if the test has not
 * already seen it exit.
 */
export function startCli(t: TestContext, args: readonly string[], env: Record<string, string> = {}, nodeArgs: readonly string[] = []): CliProcess {
  const child = spawn(process.execPath, [...nodeArgs, CLI_MAIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  let exitCode: number | NodeJS.Signals | undefined;
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    // 'close' rather than 'exit': by then stdout and stderr are fully read.
    child.on('close', (code, signal) => {
      exitCode = code ?? signal ?? 'SIGKILL';
      resolve(exitCode);
    });
  });
  t.after(async () => {
    if (exitCode !== undefined) return;
    child.kill('SIGKILL');
    await exited;
  });

  const proc: CliProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForLine(pattern, timeoutMs = 10_000) {
      let match: RegExpMatchArray | null = null;
      await waitFor(
        () => {
          if (exitCode !== undefined && (match = out.match(pattern)) === null) {
            throw new Error(`switchboard ${args.join(' ')} exited (${exitCode}) before printing ${pattern}\nstdout: ${out}\nstderr: ${err}`);
          }
          return (match = out.match(pattern)) !== null;
        },
        timeoutMs,
        `stdout of switchboard ${args[0]} to match ${pattern} (stdout so far: ${JSON.stringify(out)}, stderr: ${JSON.stringify(err)})`,
      );
      return match as unknown as RegExpMatchArray;
    },
    async terminate() {
      if (exitCode === undefined) child.kill('SIGTERM');
      await waitFor(() => exitCode !== undefined, EXIT_WAIT_MS, `switchboard ${args[0]} to exit after SIGTERM (stderr: ${JSON.stringify(err)})`);
      return exited;
    },
  };
  return proc;
}

/** Runs `switchboard <args>` to completion and returns its exit code and output. */
export async function runCli(t: TestContext, args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | NodeJS.Signals; stdout: string; stderr: string }> {
  const proc = startCli(t, args, env);
  await waitFor(() => proc.child.exitCode !== null || proc.child.signalCode !== null, 60_000, `switchboard ${args.join(' ')} to finish`);
  const code = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

/**
 * `switchboard serve` on the given config (YAML text, written to a temp file removed in t.after),
 * once it listens; returns the process and its address.
 */
export async function startServe(t: TestContext, configYaml: string, env: Record<string, string> = {}): Promise<{ node: CliProcess; address: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'gateway.yaml');
  writeFileSync(configPath, configYaml);
  const node = startCli(t, ['serve', '--config', configPath], env);
  const [, address] = await node.waitForLine(/listening on (127\.0\.0\.1:\d+)/, 20_000);
  return { node, address: address as string };
}
