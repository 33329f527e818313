import type { ChannelName } from '../domain/channel.js';
import type { MessageKind } from '../domain/message.js';

/** What the router needs of one message; a compact subset of AcceptedMessage. */
export interface RouteRequest {
  messageId: string;
  tenant: string;
  templateId: string;
  variables: Record<string, string>;
  body: string;
  subject: string;
  kind: MessageKind;
  channel: ChannelName | null;
}

/** The router's answer for one message: where it goes and what it says, or why it cannot go. */
export type RouteResult =
  | {
      ok: true;
      channel: ChannelName;
      providerId: string;
      subject: string;
      body: string;
      /** Channel-specific fields for the provider, e.g. alimtalk.template_code. */
      attributes: Record<string, string>;
      /** What the supplier bills for this message (see korean/count-billable-units.ts). */
      billableUnits: number;
    }
  | { ok: false; code: RouteFailureCode; reason: string };

export type RouteFailureCode =
  | 'UNKNOWN_TEMPLATE'
  | 'MISSING_VARIABLE'
  | 'NO_ROUTE'
  | 'UNENCODABLE_CHARACTERS'
  | 'AD_SETTINGS_MISSING'
  | 'BODY_TOO_LONG'
  | 'SUBJECT_TOO_LONG';
