import type { ChannelName } from './channel.js';

export type MessageKind = 'informational' | 'advertising';
export type MessagePriority = 'urgent' | 'normal' | 'bulk';

/** The priorities in the order the dispatcher serves them: urgent is never queued behind bulk. */
export const PRIORITIES: readonly MessagePriority[] = ['urgent', 'normal', 'bulk'];

/**
 * A message as the gateway accepted it: validated, recipient normalised to E.164,
 * tenant resolved from the caller's credentials. This is what the store keeps.
 * Every field is always set (empty string when absent) so the objects share one shape.
 */
export interface AcceptedMessage {
  messageId: string;
  tenant: string;
  /** The client's reference; '' when none was given. */
  clientRef: string;
  /** E.164, e.g. +821012345678. */
  recipient: string;
  /** Digits only, e.g. 15880000. */
  sender: string;
  /** '' when the message carries raw content. */
  templateId: string;
  variables: Record<string, string>;
  /** Raw content; '' when a template is used. */
  body: string;
  subject: string;
  kind: MessageKind;
  /**
   * The recipient separately consented to advertising at night (정보통신망법 §50(3)), so the
   * night window does not hold this message. Messages stored before the field existed lack it
   * (JSON in the Redis store); readers treat a missing value as false.
   */
  nightConsent: boolean;
  priority: MessagePriority;
  /** The caller's preferred channel, or null. */
  channel: ChannelName | null;
  acceptedAtMs: number;
  /** The message is expired instead of sent after this time. */
  expiresAtMs: number;
  tags: string[];
  /**
   * Set only on a message moved on to a later channel of its route's chain (FALLBACK); absent on
   * every message as accepted.
   */
  fallback?: FallbackStep;
  /**
   * Set only on a message moved on to another supplier of the same channel (report-driven
   * failover): the suppliers of that channel that already had it, which the dispatcher skips.
   */
  triedProviders?: TriedProviders;
}

/** The suppliers of one channel a message was already submitted to. */
export interface TriedProviders {
  channel: ChannelName;
  providers: string[];
}

/** Where a message that fell back continues: the rest of its chain and why it moved. */
export interface FallbackStep {
  /** The channels still to try, in order; the first is the one to route to now. */
  channels: ChannelName[];
  /** 1 for the first fallback, 2 for the next... */
  step: number;
  /** The channel that failed. */
  fromChannel: ChannelName;
  /** Why it failed there, e.g. "UNREACHABLE: recipient has no KakaoTalk". */
  reason: string;
  /** The route whose chain this is. */
  routeName: string;
}
