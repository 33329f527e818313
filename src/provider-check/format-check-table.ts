import type { ProviderCheckReport } from './run-provider-check.js';

/**
 * The report as a table, one line per check: `PASS  name  detail` or `FAIL  name  reason`, and
 * a last line with the totals.
 */
export function formatCheckTable(report: ProviderCheckReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length), 'check'.length);
  const lines = [`provider-check ${report.target} (channel ${report.channel})`, `${'result'.padEnd(6)}  ${'check'.padEnd(width)}  detail`];
  for (const check of report.checks) {
    lines.push(`${(check.passed ? 'PASS' : 'FAIL').padEnd(6)}  ${check.name.padEnd(width)}  ${check.detail.replace(/\s*\n\s*/g, ' ')}`);
  }
  const failed = report.checks.filter((c) => !c.passed).length;
  lines.push(failed === 0 ? `all ${report.checks.length} checks passed` : `${failed} of ${report.checks.length} checks failed`);
  return `${lines.join('\n')}\n`;
}
