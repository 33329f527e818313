import { randomBytes } from 'node:crypto';
import { credentials } from '@grpc/grpc-js';
import { ChannelProviderClient } from '../gen/switchboard/provider/v1/provider.js';
import type { Check } from './check.js';
import { channelName, createCheckContext, type ProviderCheckSettings } from './check-context.js';
import { acceptanceCheck } from './checks/acceptance-check.js';
import { capabilitiesCheck } from './checks/capabilities-check.js';
import { expiredCheck } from './checks/expired-check.js';
import { idempotencyCheck } from './checks/idempotency-check.js';
import { invalidRecipientCheck } from './checks/invalid-recipient-check.js';
import { reportsCheck } from './checks/reports-check.js';
import { resendCheck } from './checks/resend-check.js';
import { windowCheck } from './checks/window-check.js';
import { createRunLedger } from './run-ledger.js';

/**
 * The battery, in run order. Capabilities come first (later checks use the window and channel it
 * states); reports come after the submitting checks, so every message accepted so far is awaited;
 * resend comes last, as it deliberately leaves reports unacked for a while.
 */
export const PROVIDER_CHECKS: readonly Check[] = [
  capabilitiesCheck,
  acceptanceCheck,
  idempotencyCheck,
  windowCheck,
  invalidRecipientCheck,
  expiredCheck,
  reportsCheck,
  resendCheck,
];

export interface CheckResult {
  readonly name: string;
  readonly summary: string;
  readonly passed: boolean;
  readonly detail: string;
  readonly durationMs: number;
}

export interface ProviderCheckReport {
  readonly target: string;
  /** The channel the test messages used. */
  readonly channel: string;
  readonly passed: boolean;
  readonly checks: readonly CheckResult[];
}

/**
 * Runs every check against `settings.target` in order and returns their results; a check that
 * throws fails with the error. Never throws for what the provider does. When the target cannot
 * be reached at all, every check fails with that reason instead of timing out one by one.
 */
export async function runProviderCheck(settings: ProviderCheckSettings, checks: readonly Check[] = PROVIDER_CHECKS): Promise<ProviderCheckReport> {
  const client = new ChannelProviderClient(settings.target, settings.credentials ?? credentials.createInsecure(), settings.channelOptions ?? {});
  const ledger = createRunLedger(`pc-${randomBytes(4).toString('hex')}`);
  const context = createCheckContext(client, settings, ledger);
  const results: CheckResult[] = [];
  try {
    const unreachable = await new Promise<string | undefined>((resolve) =>
      client.waitForReady(Date.now() + settings.timeoutMs, (error) => resolve(error?.message)),
    );
    for (const check of checks) {
      const started = Date.now();
      let outcome;
      if (unreachable !== undefined) {
        outcome = { passed: false, detail: `cannot connect to ${settings.target}: ${unreachable}` };
      } else {
        try {
          outcome = await check.run(context);
        } catch (error) {
          outcome = { passed: false, detail: `the check itself failed: ${error instanceof Error ? error.message : String(error)}` };
        }
      }
      results.push({ name: check.name, summary: check.summary, passed: outcome.passed, detail: outcome.detail, durationMs: Date.now() - started });
    }
  } finally {
    client.close();
  }
  return { target: settings.target, channel: channelName(context.channel()), passed: results.every((r) => r.passed), checks: results };
}
