import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { SmscLedgerEvent } from '../../src/channels/smpp-smsc-sim.js';
import { startCli, type CliProcess } from './cli-process.js';

export interface SmscSimProcess {
  readonly proc: CliProcess;
  /** host:port it listens on. */
  readonly address: string;
}

/**
 * Starts `switchboard smsc-sim` as a separate process (killed in t.after if still running) and
 * waits for its ready line. `args` are extra flags, e.g. ['--receipt-delay-ms', '200'].
 */
export async function startSmscSimProcess(t: TestContext, ledgerPath: string, listen = '127.0.0.1:0', args: readonly string[] = []): Promise<SmscSimProcess> {
  const proc = startCli(t, ['smsc-sim', '--listen', listen, '--ledger', ledgerPath, ...args]);
  const match = await proc.waitForLine(/smsc-sim listening on (\S+)/);
  return { proc, address: match[1] as string };
}

/** Reads an SMSC ledger; a file not written yet reads as empty, and a partly written last line is left out. */
export async function readSmscLedger(path: string): Promise<SmscLedgerEvent[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n');
  lines.pop();
  return lines.map((line) => JSON.parse(line) as SmscLedgerEvent);
}

/** A ledger path in a fresh temporary directory, removed after the test. */
export async function smscLedgerPath(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'smsc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'ledger.jsonl');
}

/** The raw config entry (as in a YAML file) of an SMSC provider "sms-0" with test-speed timings. */
export function rawSmppProvider(address: string, settings: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'sms-0',
    kind: 'smpp',
    address,
    channels: ['sms', 'lms'],
    systemId: 'switchboard',
    password: 'secret',
    window: 4,
    connectTimeout: '300ms',
    reconnectBackoff: '50ms',
    maxReconnectBackoff: '300ms',
    responseTimeout: '2s',
    ...settings,
  };
}
