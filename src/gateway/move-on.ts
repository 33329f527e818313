import type { ChooseProvider } from '../channels/provider-choice.js';
import type { AcceptedMessage } from '../domain/message.js';
import type { StatusEvent } from '../domain/status-event.js';
import type { FallbackPlan } from '../store/store.js';
import { fallBack, type ChannelFailure } from './fall-back.js';

/** Where a message goes after its supplier failed it (report timeout, or a code retryable elsewhere). */
export type MoveOn =
  /** The FALLBACK event to record and the message to queue again (another supplier of the channel, or the next channel). */
  | { readonly kind: 'moved'; readonly event: StatusEvent; readonly message: AcceptedMessage }
  /** No supplier of the channel left untried and no channel after it. */
  | { readonly kind: 'nowhere' };

/**
 * Report-driven failover: the next supplier of the message's channel that has not had it (the
 * message carries the tried ones, and the dispatcher skips them), else the next channel of its
 * chain, else nowhere. Never the same supplier again.
 */
export function moveOn(plan: FallbackPlan, failure: ChannelFailure, chooseProvider: ChooseProvider): MoveOn {
  const m = plan.message;
  const earlier = m.triedProviders?.channel === plan.channel ? m.triedProviders.providers : [];
  const tried = [...new Set([...earlier, failure.providerId])];
  const alternative = chooseProvider(plan.channel, m.recipient, new Set(tried));
  const cause = failure.code === '' ? failure.reason : `${failure.code}: ${failure.reason}`;
  if (alternative !== undefined) {
    const event: StatusEvent = {
      messageId: m.messageId,
      state: 'fallback',
      atMs: failure.atMs,
      channel: plan.channel,
      providerId: failure.providerId,
      providerRef: '',
      code: failure.code,
      reason: `${plan.channel} via "${failure.providerId}" failed (${cause}); trying another supplier of ${plan.channel}`,
      billableUnits: 0,
      why: `supplier failover on ${plan.channel}: "${failure.providerId}" > "${alternative.providerId}" (${alternative.why})`,
    };
    return { kind: 'moved', event, message: { ...m, triedProviders: { channel: plan.channel, providers: tried } } };
  }
  if (plan.next.length > 0) return { kind: 'moved', ...fallBack(plan, failure) };
  return { kind: 'nowhere' };
}
