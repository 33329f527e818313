/**
 * A validity_period in SMPP 3.4 absolute format (7.1.1), "YYMMDDhhmmsstnnp", in UTC ("00+"):
 * the SMSC drops a message it could not deliver by then, so a message never arrives after its TTL.
 */
export function formatValidityPeriod(atMs: number): string {
  const d = new Date(atMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}${Math.floor(d.getUTCMilliseconds() / 100)}00+`;
}
