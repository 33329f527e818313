import type { AcceptedMessage } from '../domain/message.js';
import type { RouteRequest } from '../router/route-types.js';

/** What the router needs of a message (plain data: it may cross to a worker thread). */
export function toRouteRequest(m: AcceptedMessage): RouteRequest {
  return {
    messageId: m.messageId,
    tenant: m.tenant,
    templateId: m.templateId,
    variables: m.variables,
    body: m.body,
    subject: m.subject,
    kind: m.kind,
    // Strictly true: a message stored before the field existed has none, and no consent is the safe reading.
    nightConsent: m.nightConsent === true,
    channel: m.channel,
    recipient: m.recipient,
    priority: m.priority,
    tags: m.tags,
    ...(m.fallback === undefined ? {} : { fallback: m.fallback }),
  };
}
