import { readFile } from 'node:fs/promises';

/** One line of a simulated provider's ledger (SimProviderOptions.ledgerPath, `sim-provider --ledger`). */
export interface LedgerRow {
  readonly timeMs: number;
  readonly messageId: string;
  /** As the provider received it: E.164. */
  readonly recipient: string;
  readonly channel: string;
  readonly duplicate: boolean;
  /** ProviderMessage.idempotency_key; '' when the message had none. */
  readonly idempotencyKey: string;
}

/** Reads a ledger file; a file not written yet reads as empty, and a partly written last line is left out. */
export async function readLedger(path: string): Promise<LedgerRow[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or a line still being written
  return lines.map((line) => {
    const [timeMs, messageId, recipient, channel, flag, idempotencyKey] = line.split('\t');
    return { timeMs: Number(timeMs), messageId: messageId ?? '', recipient: recipient ?? '', channel: channel ?? '', duplicate: flag === 'dup', idempotencyKey: idempotencyKey ?? '' };
  });
}
