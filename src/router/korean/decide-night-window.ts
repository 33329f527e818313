import type { ChannelName } from '../../domain/channel.js';
import type { MessageKind } from '../../domain/message.js';

/**
 * The advertising night ban, in minutes after midnight KST (0 to 1439; config checks the range).
 * Plain data from config ("21:00" becomes 1260). A window whose start is after its end runs across
 * midnight; one whose start equals its end is empty.
 */
export interface NightWindowSettings {
  /** When the legal ban starts (정보통신망법 §50(3)): 21:00 is 1260. */
  readonly startMinuteKst: number;
  /** When every ban ends and advertising may go again: 08:00 is 480. */
  readonly endMinuteKst: number;
  /** When Kakao's FriendTalk ban starts, earlier than the legal one: 20:00 is 1200. */
  readonly friendtalkStartMinuteKst: number;
  /** What happens to a held message: `defer` it to the end of the window, or `reject` it. */
  readonly mode: 'defer' | 'reject';
}

/** What the night rule needs to know about one message. */
export interface NightWindowRequest {
  /** Only advertising is ever held. */
  readonly kind: MessageKind;
  /** The channel it is about to go out on (re-check after a fallback: the window depends on it). */
  readonly channel: ChannelName;
  /** The recipient gave the separate consent to night-time advertising that the law asks for. */
  readonly nightConsent: boolean;
}

/** Send now, send at `notBeforeMs`, or do not send. */
export type NightWindowDecision =
  | { readonly action: 'send' }
  | {
      readonly action: 'defer';
      /** Epoch ms of the end of the window (08:00 KST by default), the first moment it may go. */
      readonly notBeforeMs: number;
      readonly reason: string;
    }
  | { readonly action: 'reject'; readonly code: 'AD_NIGHT_BAN'; readonly reason: string };

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;
/** Korea has had no daylight saving time since 1988, so KST is always UTC+9. */
const KST_OFFSET_MS = 9 * 60 * MS_PER_MINUTE;
const SEND: NightWindowDecision = Object.freeze({ action: 'send' });

/**
 * Applies the advertising night ban at `nowMs` (epoch ms, from an injected clock; this function
 * never reads the time itself). Informational messages always go. Advertising is held from the
 * start minute (inclusive, 21:00:00) to the end minute (exclusive, 08:00:00) unless the recipient
 * gave night consent. FriendTalk advertising is held from its own, earlier start, and night consent
 * does not lift it: that window is Kakao's platform rule, not the law's consent rule.
 */
export function decideNightWindow(request: NightWindowRequest, nowMs: number, settings: NightWindowSettings): NightWindowDecision {
  // Fail closed: a broken clock must not let advertising out at night.
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be a finite epoch time in ms, got ${nowMs}`);
  if (request.kind !== 'advertising') return SEND;
  const friendtalk = request.channel === 'friendtalk';
  if (request.nightConsent && !friendtalk) return SEND;
  const startMinute = friendtalk ? settings.friendtalkStartMinuteKst : settings.startMinuteKst;
  const startMs = startMinute * MS_PER_MINUTE;
  const endMs = settings.endMinuteKst * MS_PER_MINUTE;
  // Milliseconds since midnight KST; the double modulo keeps times before 1970 positive.
  const msOfDay = (((nowMs + KST_OFFSET_MS) % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
  const held = startMs <= endMs ? msOfDay >= startMs && msOfDay < endMs : msOfDay >= startMs || msOfDay < endMs;
  if (!held) return SEND;

  const what = friendtalk ? 'FriendTalk advertising' : 'advertising';
  const unless = friendtalk ? '' : ' without night-time consent';
  const end = formatMinute(settings.endMinuteKst);
  const rule = `${what} is not sent between ${formatMinute(startMinute)} and ${end} KST${unless}`;
  // Both reasons say when it may go, so a client that gets a rejection knows when to send again.
  if (settings.mode === 'reject') return { action: 'reject', code: 'AD_NIGHT_BAN', reason: `${rule}; send it again from ${end} KST` };
  // Plain arithmetic on epoch ms: no calendar, so month and year ends need no special case.
  const midnightMs = nowMs - msOfDay;
  const notBeforeMs = midnightMs + endMs + (msOfDay < endMs ? 0 : MS_PER_DAY);
  return { action: 'defer', notBeforeMs, reason: `${rule}; deferred to ${end} KST` };
}

/** 1260 → "21:00". */
function formatMinute(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}
