import type { AcceptedMessage } from '../domain/message.js';
import type { StatusEvent } from '../domain/status-event.js';
import type { FallbackPlan } from '../store/store.js';

/** Why a channel failed for a message: a supplier's permanent refusal or a failed delivery report. */
export interface ChannelFailure {
  readonly providerId: string;
  readonly code: string;
  readonly reason: string;
  readonly atMs: number;
}

/**
 * Moves a message whose channel failed on to the next channel of its chain (plan.next must not be
 * empty): the FALLBACK event to record (from which channel to which, and why) and the message to
 * queue again, which carries the rest of its chain so it is routed, rendered with that channel's
 * template variant and checked by that channel's rules like any message.
 */
export function fallBack(plan: FallbackPlan, failure: ChannelFailure): { event: StatusEvent; message: AcceptedMessage } {
  const [to, ...rest] = plan.next;
  if (to === undefined) throw new RangeError(`message ${plan.message.messageId} has no channel left to fall back to`);
  const cause = failure.code === '' ? failure.reason : `${failure.code}: ${failure.reason}`;
  const step = plan.step + 1;
  const event: StatusEvent = {
    messageId: plan.message.messageId,
    state: 'fallback',
    atMs: failure.atMs,
    channel: plan.channel,
    providerId: failure.providerId,
    providerRef: '',
    code: failure.code,
    reason: `${plan.channel} failed (${cause}); falling back to ${to}`,
    billableUnits: 0,
    why: `fallback step ${step} of route "${plan.routeName}": ${plan.channel} > ${[to, ...rest].join(' > ')}`,
  };
  // The suppliers tried on the failed channel say nothing about the next one.
  const { triedProviders: _tried, ...accepted } = plan.message;
  const message: AcceptedMessage = {
    ...accepted,
    fallback: { channels: [to, ...rest], step, fromChannel: plan.channel, reason: cause, routeName: plan.routeName },
  };
  return { event, message };
}

/** The attempt a delivery report is about, as takeFallbackPlans matches it. */
export function attemptOf(providerId: string, providerRef: string): string {
  return `${providerId}\u0000${providerRef}`;
}
