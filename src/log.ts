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
