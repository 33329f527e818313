import type { ChannelName } from '../domain/channel.js';
import type { AcceptedMessage } from '../domain/message.js';

/**
 * What the router needs of one message: the subset of AcceptedMessage that travels to a worker.
 * nightConsent lifts the legal night window for advertising (not FriendTalk's).
 */
export type RouteRequest = Pick<
  AcceptedMessage,
  'messageId' | 'tenant' | 'templateId' | 'variables' | 'body' | 'subject' | 'kind' | 'nightConsent' | 'channel' | 'recipient' | 'priority' | 'tags' | 'fallback'
>;

/** The router's answer for one message: switch on `outcome`. */
export type RouteResult = RouteSuccess | RouteFailure | RouteDeferral;

/** The channel the message goes on and exactly what it says; the supplier is picked on the main thread (see channels/provider-choice.ts). */
export interface RouteSuccess {
  outcome: 'routed';
  channel: ChannelName;
  subject: string;
  body: string;
  /** Channel-specific fields for the provider, e.g. alimtalk.template_code. */
  attributes: Record<string, string>;
  /** What the supplier bills for this message (see korean/count-billable-units.ts). */
  billableUnits: number;
  /** The channels after this one in the route's chain, tried in order when this one fails; [] at the end. */
  next: ChannelName[];
  /** 0 on the first channel of the chain, 1 after one fallback... */
  step: number;
  /** The route that gave the chain ("default" when none matched). */
  routeName: string;
  /** Why this channel, for people: the rule matched or the fallback step (kept in the message's history). */
  why: string;
}

/** The message cannot go, ever: the dispatcher records FAILED with this code and reason. */
export interface RouteFailure {
  outcome: 'failed';
  code: RouteFailureCode;
  reason: string;
}

/**
 * The message may not go yet (advertising in the night window): it is not failed, but put back
 * in the queue and routed again from `deferUntilMs`.
 */
export interface RouteDeferral {
  outcome: 'deferred';
  /** Epoch ms of the first moment it may go, e.g. the next 08:00 KST. */
  deferUntilMs: number;
  /** Names the rule and the time, e.g. "... deferred to 08:00 KST". */
  reason: string;
}

export type RouteFailureCode =
  | 'UNKNOWN_TEMPLATE'
  | 'MISSING_VARIABLE'
  | 'UNKNOWN_VARIABLE'
  | 'INVALID_VARIABLE'
  | 'NO_ROUTE'
  | 'UNENCODABLE_CHARACTERS'
  | 'AD_SETTINGS_MISSING'
  | 'AD_NIGHT_BAN'
  | 'BODY_TOO_LONG'
  | 'SUBJECT_TOO_LONG';
