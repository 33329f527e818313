/**
 * Structured JSON logs on stderr, one object per line. Values are passed as fields, never
 * interpolated into the message, so JSON.stringify escapes control characters (no log injection).
 * Never pass message bodies, variables or phone numbers: log ids and counts.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const threshold = RANK[(process.env['SWITCHBOARD_LOG_LEVEL'] as LogLevel | undefined) ?? 'info'] ?? RANK.info;

export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  if (RANK[level] < threshold) return;
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

/**
 * An audit record (접속기록): who did what to the gateway's controls or data, from where, and how it
 * ended; written whatever SWITCHBOARD_LOG_LEVEL says, as a line with level "audit", for the log
 * pipeline to keep as long as the rules ask (two years and more for a bank). Same rules: ids and
 * counts, never numbers, texts or keys.
 */
export function audit(fields: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'audit', msg: 'audit', ...fields })}\n`);
}
