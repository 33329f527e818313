import { format } from 'node:util';
import { setLogger } from '@grpc/grpc-js';
import { maskPhoneNumbers } from './domain/mask-phone-numbers.js';
import { log, type LogLevel } from './log.js';

/**
 * grpc-js writes its own lines on stderr ("E Failed to add metadata entry x-api-key: <value>...")
 * in plain text: one per client that sends a header value with bytes metadata cannot hold. Such a
 * line breaks the one-JSON-object-per-line log for whatever reads it, and writes what the client
 * sent, an API key included, as it came (RELIABILITY D9, D10). Routed through `log` instead: JSON,
 * escaped, the header's value withheld and phone numbers masked. Process-wide; the CLI calls it
 * at start.
 */
export function sendGrpcLibraryLogsToLog(): void {
  const to = (level: LogLevel) => (message?: unknown, ...rest: unknown[]) => log(level, 'grpc-js', { detail: withheld(format(message, ...rest)) });
  setLogger({ error: to('error'), info: to('info'), debug: to('debug') });
}

/** A metadata entry that could not be added is named, without its value (an API key, a token). */
const METADATA_ENTRY = /^(Failed to add metadata entry [^:]*): [\s\S]*$/;

function withheld(text: string): string {
  return maskPhoneNumbers(text.replace(METADATA_ENTRY, '$1: its value has characters metadata cannot hold (value withheld)'));
}
