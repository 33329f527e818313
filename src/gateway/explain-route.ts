import { status as Status } from '@grpc/grpc-js';
import type { ChooseProvider } from '../channels/provider-choice.js';
import type { Config, Tenant } from '../config/config.js';
import { MessageState, RejectReason, type Message, type RouteExplanation } from '../gen/switchboard/v1/gateway.js';
import type { Router } from '../router/router.js';
import { toGatewayChannel } from './gateway-channel.js';
import { GatewayError } from './gateway-error.js';
import { toRouteRequest } from './to-route-request.js';
import { validateMessage } from './validate-message.js';

export interface ExplainDeps {
  readonly router: () => Router;
  readonly chooseProvider: ChooseProvider;
  readonly now: () => number;
}

const NOTHING_TRIED: ReadonlySet<string> = new Set();

/**
 * Routes one message as the dispatcher would, on the config and router in force, without storing
 * or sending it: for ExplainRoute and `switchboard route explain`. A message Send would refuse is
 * refused with the same status and detail.
 */
export async function explainRoute(wire: Message | undefined, tenant: Tenant, config: Config, deps: ExplainDeps): Promise<RouteExplanation> {
  const nowMs = deps.now();
  const checked = validateMessage(wire, tenant, config, 'explain', nowMs);
  if (!checked.ok) {
    const { reason, detail } = checked.rejection;
    throw new GatewayError(reason === RejectReason.REJECT_REASON_INVALID_SENDER ? Status.FAILED_PRECONDITION : Status.INVALID_ARGUMENT, detail);
  }
  const message = checked.message;
  const [result] = await deps.router().route([toRouteRequest(message)], nowMs);
  const explanation: RouteExplanation = {
    outcome: MessageState.MESSAGE_STATE_FAILED,
    channel: toGatewayChannel(null),
    fallbackChannels: [],
    routeName: '',
    why: '',
    providerId: '',
    providerWhy: '',
    subject: '',
    body: '',
    attributes: {},
    billableUnits: 0,
    code: '',
    reason: '',
    deferUntilMs: 0,
  };
  if (result === undefined) return { ...explanation, code: 'NO_ROUTE', reason: 'the router gave no answer' };
  switch (result.outcome) {
    case 'failed':
      return { ...explanation, code: result.code, reason: result.reason };
    case 'deferred':
      return { ...explanation, outcome: MessageState.MESSAGE_STATE_DEFERRED, code: 'NIGHT_WINDOW', reason: result.reason, deferUntilMs: result.deferUntilMs };
    case 'routed': {
      // A dry run: explaining must not take a real message's round-robin turn or half-open probe.
      const choice = deps.chooseProvider(result.channel, message.recipient, NOTHING_TRIED, true);
      return {
        ...explanation,
        outcome: MessageState.MESSAGE_STATE_ROUTED,
        channel: toGatewayChannel(result.channel),
        fallbackChannels: result.next.map((c) => toGatewayChannel(c)),
        routeName: result.routeName,
        why: result.why,
        providerId: choice?.providerId ?? '',
        providerWhy: choice?.why ?? `no provider of channel "${result.channel}" is configured and connected now`,
        subject: result.subject,
        body: result.body,
        attributes: result.attributes,
        billableUnits: result.billableUnits,
      };
    }
  }
}
