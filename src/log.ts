/**
 * Structured JSON logs on stderr, one object per line. Values are passed as fields, never
 * interpolated into the message, so JSON.stringify escapes control characters (no log injection).
 * Never pass message bodies or full phone numbers: use maskPhone.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const threshold = RANK[(process.env['SWITCHBOARD_LOG_LEVEL'] as LogLevel | undefined) ?? 'info'] ?? RANK.info;

export function isLevelEnabled(level: LogLevel): boolean {
  return RANK[level] >= threshold;
}

export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  if (RANK[level] < threshold) return;
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

/** "+821012345678" -> "+8210****5678": enough to correlate with a customer, not enough to identify one. */
export function maskPhone(phone: string): string {
  if (phone.length <= 8) return '****';
  return `${phone.slice(0, phone.length - 8)}****${phone.slice(-4)}`;
}
