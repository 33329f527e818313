import type { MessageKind } from '../../domain/message.js';
import { applyAdvertisingText, type AdvertisingSettings } from './apply-advertising-text.js';
import { applyUnencodablePolicy, type UnencodablePolicy } from './apply-unencodable-policy.js';
import { chooseTextChannelForBytes, type EucKrChannel, type TextSizeLimits } from './choose-text-channel.js';
import { countBillableUnits } from './count-billable-units.js';
import { eucKrByteLength } from './euc-kr-byte-length.js';
import type { UnencodableChar } from './find-unencodable.js';
import { plainEucKrByteLength } from './plain-euc-kr-byte-length.js';

/** The Korean text rules of one route or carrier, compiled from config. */
export interface TextMessageRules {
  /** What to do with characters EUC-KR cannot encode. */
  readonly unencodable: UnencodablePolicy;
  /** The carrier's byte limits. */
  readonly limits: TextSizeLimits;
}

/** A rendered SMS, LMS or MMS text and what the rules need to know about it. */
export interface TextMessageRequest {
  /** The channel the route chose; an SMS may come back as LMS. */
  readonly channel: EucKrChannel;
  /** Advertising gets the "(광고)" header and opt-out line before the byte limits apply. */
  readonly kind: MessageKind;
  /** The rendered body, as the client or template gave it. */
  readonly body: string;
  /**
   * The body's EUC-KR byte length when the caller knows the body is plain (plainEucKrByteLength
   * under the rules' strictness), e.g. a template whose literals were counted when it was compiled;
   * -1 or absent: counted here.
   */
  readonly plainBodyBytes?: number;
  /** Sent with LMS and MMS only. */
  readonly subject: string;
  /** Whether an SMS that is too long may go as LMS instead. */
  readonly lmsAllowed: boolean;
  /** The tenant's advertising identity; null when it has none, and then advertising is refused. */
  readonly advertising: AdvertisingSettings | null;
}

/** The text exactly as it will be sent, with its counts, or the first rule it breaks. */
export type PreparedTextMessage =
  | {
      readonly ok: true;
      readonly channel: EucKrChannel;
      readonly body: string;
      /** '' for SMS. */
      readonly subject: string;
      readonly bodyBytes: number;
      readonly subjectBytes: number;
      readonly upgradedToLms: boolean;
      readonly billableUnits: number;
      /** Characters the unencodable policy folded or replaced in the client's body (positions in it). */
      readonly bodyChanges: readonly UnencodableChar[];
      readonly subjectChanges: readonly UnencodableChar[];
    }
  | {
      readonly ok: false;
      readonly code: 'UNENCODABLE_CHARACTERS' | 'AD_SETTINGS_MISSING' | 'BODY_TOO_LONG' | 'SUBJECT_TOO_LONG';
      readonly reason: string;
    };

const NO_ADVERTISING: AdvertisingSettings = { senderName: '', optOutLine: '' };
const NO_CHANGES: readonly UnencodableChar[] = Object.freeze([]);

/**
 * Applies the Korean text rules to an SMS/LMS/MMS in the order that makes each one right:
 *   1. the unencodable policy on the client's own text, so that positions in a rejection point
 *      into what the client sent, not into the advertising header;
 *   2. the advertising mark, sender name and opt-out line, for advertising;
 *   3. the byte limits on the final text, which may move an SMS up to LMS.
 * A plain text (plainEucKrByteLength) skips step 1, which would not change it, and is counted once.
 * The night window is separate (decideNightWindow): it is about when, not what.
 */
export function prepareTextMessage(request: TextMessageRequest, rules: TextMessageRules): PreparedTextMessage {
  const strict = rules.unencodable.strictKsX1001;
  // Most texts are plain (ASCII and Hangul): one pass counts them, with nothing to normalise or clean.
  let bodyBytes = request.plainBodyBytes !== undefined && request.plainBodyBytes >= 0 ? request.plainBodyBytes : plainEucKrByteLength(request.body, strict);
  let text = request.body;
  let bodyChanges = NO_CHANGES;
  if (bodyBytes < 0) {
    const body = applyUnencodablePolicy(request.body, rules.unencodable, 'body');
    if (!body.ok) return body;
    text = body.text;
    bodyChanges = body.changed;
  }
  if (request.kind === 'advertising') {
    const advertised = applyAdvertisingText(text, request.advertising ?? NO_ADVERTISING);
    if (!advertised.ok) return advertised;
    text = advertised.text;
    bodyBytes = -1;
  }
  if (bodyBytes < 0) bodyBytes = eucKrByteLength(text);
  // null: the subject is plain and goes as it is.
  const subject = plainEucKrByteLength(request.subject, strict) >= 0 ? null : applyUnencodablePolicy(request.subject, rules.unencodable, 'subject');
  const subjectText = subject !== null && subject.ok ? subject.text : request.subject;
  const size = chooseTextChannelForBytes({ channel: request.channel, body: text, subject: subjectText, lmsAllowed: request.lmsAllowed }, bodyBytes, rules.limits);
  if (!size.ok) return size;
  // An SMS sends no subject, so a subject it cannot encode does not stop it.
  if (subject !== null && !subject.ok && size.channel !== 'sms') return subject;
  return {
    ok: true,
    channel: size.channel,
    body: text,
    subject: size.subject,
    bodyBytes: size.bodyBytes,
    subjectBytes: size.subjectBytes,
    upgradedToLms: size.upgradedToLms,
    billableUnits: countBillableUnits(size.channel),
    bodyChanges,
    subjectChanges: subject !== null && subject.ok && size.channel !== 'sms' ? subject.changed : NO_CHANGES,
  };
}
