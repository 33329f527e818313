import type { ChannelName } from '../../domain/channel.js';
import { eucKrByteLength } from './euc-kr-byte-length.js';

/** The channels whose text carriers count in EUC-KR bytes. */
export type EucKrChannel = Extract<ChannelName, 'sms' | 'lms' | 'mms'>;

/** Byte limits in EUC-KR, as the carrier or supplier table gives them. Plain data from config. */
export interface TextSizeLimits {
  /** Longest SMS body: 90 bytes on most carriers, 80 on some. */
  readonly smsMaxBytes: number;
  /** Longest LMS or MMS text: 2,000 bytes. */
  readonly lmsMaxBytes: number;
  /** Longest LMS or MMS subject: 40 bytes. */
  readonly subjectMaxBytes: number;
}

/** A rendered text message on its way to a carrier channel. */
export interface TextSizeRequest {
  /** The channel the route chose. */
  readonly channel: EucKrChannel;
  /** The final body, with any advertising prefix and opt-out line already in it. */
  readonly body: string;
  /** Sent with LMS and MMS only: an SMS has no subject field. */
  readonly subject: string;
  /** Whether an SMS that is too long may go as LMS instead (the route allows LMS). */
  readonly lmsAllowed: boolean;
}

/** Where the text fits, with the counts, or why it does not fit. */
export type TextSizeDecision =
  | {
      readonly ok: true;
      /** 'lms' when an SMS was too long and LMS was allowed; otherwise the requested channel. */
      readonly channel: EucKrChannel;
      /** The subject to send: '' for SMS, which has none. */
      readonly subject: string;
      /** The body's length in EUC-KR bytes. */
      readonly bodyBytes: number;
      /** 0 for SMS. */
      readonly subjectBytes: number;
      /** True when an SMS became LMS because its body was longer than the SMS limit. */
      readonly upgradedToLms: boolean;
    }
  | {
      readonly ok: false;
      readonly code: 'BODY_TOO_LONG' | 'SUBJECT_TOO_LONG';
      /** e.g. "body is 95 bytes in EUC-KR; SMS allows 90 and this route does not allow LMS". */
      readonly reason: string;
      readonly bodyBytes: number;
      readonly subjectBytes: number;
    };

/**
 * Decides SMS or LMS by the EUC-KR byte length of the text, and checks the LMS/MMS limits.
 * A text is never cut: it fits whole, moves up to LMS, or is rejected with its byte count, so no
 * character is ever split at a limit. Expects text the unencodable policy has already cleaned.
 */
export function chooseTextChannel(request: TextSizeRequest, limits: TextSizeLimits): TextSizeDecision {
  return chooseTextChannelForBytes(request, eucKrByteLength(request.body), limits);
}

/** chooseTextChannel for a body whose EUC-KR length the caller has counted already (`bodyBytes`). */
export function chooseTextChannelForBytes(request: TextSizeRequest, bodyBytes: number, limits: TextSizeLimits): TextSizeDecision {
  let channel = request.channel;
  let upgradedToLms = false;
  if (channel === 'sms') {
    if (bodyBytes <= limits.smsMaxBytes) {
      return { ok: true, channel, subject: '', bodyBytes, subjectBytes: 0, upgradedToLms };
    }
    if (!request.lmsAllowed) {
      const reason = `body is ${bodyBytes} bytes in EUC-KR; SMS allows ${limits.smsMaxBytes} and this route does not allow LMS`;
      return { ok: false, code: 'BODY_TOO_LONG', reason, bodyBytes, subjectBytes: 0 };
    }
    channel = 'lms';
    upgradedToLms = true;
  }
  // From here the message goes as LMS or MMS, both of which carry the subject.
  const subjectBytes = eucKrByteLength(request.subject);
  const name = channel.toUpperCase();
  if (bodyBytes > limits.lmsMaxBytes) {
    const reason = `body is ${bodyBytes} bytes in EUC-KR; ${name} allows ${limits.lmsMaxBytes}`;
    return { ok: false, code: 'BODY_TOO_LONG', reason, bodyBytes, subjectBytes };
  }
  if (subjectBytes > limits.subjectMaxBytes) {
    const reason = `subject is ${subjectBytes} bytes in EUC-KR; ${name} allows ${limits.subjectMaxBytes}`;
    return { ok: false, code: 'SUBJECT_TOO_LONG', reason, bodyBytes, subjectBytes };
  }
  return { ok: true, channel, subject: request.subject, bodyBytes, subjectBytes, upgradedToLms };
}
