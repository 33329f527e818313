/**
 * A tenant's advertising identity, from config. Plain data: it crosses to worker threads as it is.
 * Both strings should be NFC and EUC-KR encodable; the config check is the place to verify that.
 */
export interface AdvertisingSettings {
  /** The sender's business or service name shown right after "(광고)", e.g. "스위치은행". */
  readonly senderName: string;
  /** The free opt-out line put at the end, e.g. "무료수신거부 080-123-4567" (it must say 무료거부 or 무료수신거부). */
  readonly optOutLine: string;
}

/** The advertising text, or why this tenant cannot send advertising. */
export type AdvertisingTextResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly code: 'AD_SETTINGS_MISSING'; readonly reason: string };

/** The exact mark the law asks for; variants such as "[광고]" or "(광 고)" are not accepted by KISA. */
export const AD_MARK = '(광고)';

/**
 * Makes an advertising body legal under 정보통신망법 §50(4): "(광고)" and the sender name where
 * the text starts, the free opt-out line where it ends:
 *
 *   (광고)스위치은행
 *   가을 적금 특판 안내 ...
 *   무료수신거부 080-123-4567
 *
 * Idempotent (applying it to its own result changes nothing), so a template that already carries
 * the mark, or a message re-routed after a fallback, is not marked twice: a text that starts with
 * "(광고)" keeps it and only gets the sender name if the name does not follow the mark, and a text
 * that ends with the opt-out line keeps it. A variant mark such as "[광고]" does not count, so
 * such a text gets the proper mark in front. For LMS the mark goes in the body, not the subject.
 *
 * Apply it before the byte limits: the mark, name and opt-out line count toward SMS/LMS bytes.
 */
export function applyAdvertisingText(body: string, settings: AdvertisingSettings): AdvertisingTextResult {
  if (settings.senderName.trim() === '') {
    return { ok: false, code: 'AD_SETTINGS_MISSING', reason: 'advertising needs a sender name after "(광고)", and the tenant has none configured' };
  }
  if (settings.optOutLine.trim() === '') {
    return { ok: false, code: 'AD_SETTINGS_MISSING', reason: 'advertising needs a free opt-out line, and the tenant has none configured' };
  }
  // NFC first: a decomposed "(광고)" would otherwise not be recognised, and be marked twice.
  const normalized = body.normalize('NFC');
  const trimmed = normalized.trimStart();
  let text: string;
  if (trimmed.startsWith(AD_MARK)) {
    const rest = trimmed.slice(AD_MARK.length).trimStart();
    text = rest.startsWith(settings.senderName) ? trimmed : `${AD_MARK}${settings.senderName}\n${rest}`;
  } else {
    text = `${AD_MARK}${settings.senderName}\n${normalized}`;
  }
  const end = text.trimEnd();
  if (!end.endsWith(settings.optOutLine)) text = `${end}\n${settings.optOutLine}`;
  return { ok: true, text };
}
