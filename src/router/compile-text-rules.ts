import type { TextRules } from '../config/config.js';
import { isEucKrEncodable } from './korean/find-unencodable.js';
import type { TextMessageRules } from './korean/prepare-text-message.js';

/**
 * Turns the config's text rules into what prepareTextMessage takes, and refuses a replacement that
 * EUC-KR cannot encode itself (it would bring back the silent "?" the rule exists to prevent).
 * Called when a router is built, so a bad value stops the gateway at start with this message.
 */
export function compileTextRules(text: TextRules): TextMessageRules {
  for (const char of text.replacement) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (!isEucKrEncodable(codePoint, { strictKsX1001: text.strictKsX1001 })) {
      throw new RangeError(`routing.text.replacement: U+${codePoint.toString(16).toUpperCase().padStart(4, '0')} cannot be encoded in EUC-KR`);
    }
  }
  return {
    unencodable: { action: text.unencodable, replacement: text.replacement, foldLookalikes: text.foldLookalikes, strictKsX1001: text.strictKsX1001 },
    limits: { smsMaxBytes: text.smsMaxBytes, lmsMaxBytes: text.lmsMaxBytes, subjectMaxBytes: text.subjectMaxBytes },
  };
}
