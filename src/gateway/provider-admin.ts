import { status as Status } from '@grpc/grpc-js';
import type { ProviderBoard } from '../channels/provider-board.js';
import type { ProviderConnector } from '../channels/provider-connector.js';
import type { BreakerState as HealthBreakerState } from '../channels/provider-health.js';
import type { Config } from '../config/config.js';
import type { ChannelName } from '../domain/channel.js';
import { BreakerState, type ProviderState, type SwitchProviderResponse } from '../gen/switchboard/v1/admin.js';
import { log } from '../log.js';
import { GatewayError, invalidArgument, notFound } from './gateway-error.js';
import type { OperatorStateSync } from './operator-state-sync.js';
import type { StoredOperatorState } from '../store/operator-states.js';
import { StoreFullError } from '../store/store-errors.js';

export interface ProviderAdminDeps {
  readonly config: () => Config;
  readonly board: ProviderBoard;
  readonly connectors: ReadonlyMap<string, ProviderConnector>;
  /** Where drains and switches go: the store, so every node of the deployment applies them. */
  readonly operatorStates: OperatorStateSync;
}

/**
 * What operators can see and do to suppliers (GatewayAdmin provider RPCs). Live state is this
 * node's; drain, resume and switch go through the store and hold on every node, across restarts.
 */
export interface ProviderAdmin {
  list(): ProviderState[];
  drain(providerId: string): Promise<ProviderState>;
  resume(providerId: string): Promise<ProviderState>;
  switchTraffic(fromProviderId: string, toProviderId: string): Promise<SwitchProviderResponse>;
}

const BREAKER: Record<HealthBreakerState, BreakerState> = {
  closed: BreakerState.BREAKER_STATE_CLOSED,
  open: BreakerState.BREAKER_STATE_OPEN,
  'half-open': BreakerState.BREAKER_STATE_HALF_OPEN,
};

export function createProviderAdmin(deps: ProviderAdminDeps): ProviderAdmin {
  /**
   * Stores an operator's change for every node. A store that did not confirm it fails the call;
   * a write that timed out may still land, and the commands are idempotent, so repeating is safe.
   */
  const change = async (states: ReadonlyMap<string, StoredOperatorState>): Promise<void> => {
    try {
      await deps.operatorStates.change(states);
    } catch (error) {
      const code = error instanceof StoreFullError ? Status.RESOURCE_EXHAUSTED : Status.UNAVAILABLE;
      throw new GatewayError(code, `the store did not confirm the change (${(error as Error).message}); it may still apply on every node: repeat the command, or check with "switchboard providers list"`);
    }
  };

  const known = (providerId: string, field: string): string => {
    if (providerId === '') throw invalidArgument(`${field} is empty; give a provider id from the config (switchboard providers list)`);
    if (!deps.config().providers.some((p) => p.id === providerId)) {
      throw notFound(`${field} "${providerId}" is not a configured provider; configured: ${deps.config().providers.map((p) => p.id).join(', ')}`);
    }
    return providerId;
  };

  const channelsOf = (providerId: string): ChannelName[] =>
    Object.entries(deps.config().providerChoice.channels)
      .filter(([, entries]) => entries?.some((e) => e.providerId === providerId))
      .map(([channel]) => channel as ChannelName);

  const state = (providerId: string): ProviderState => {
    const live = deps.connectors.get(providerId)?.liveState() ?? { connected: false, reachable: false, inFlight: 0 };
    const health = deps.board.health(providerId)?.snapshot();
    const operator = deps.board.operatorState(providerId);
    const weightFactor = health?.weightFactor ?? 1;
    const channels = Object.entries(deps.config().providerChoice.channels).flatMap(([channel, entries]) =>
      (entries ?? [])
        .filter((e) => e.providerId === providerId)
        .map((e) => ({ channel, priorityGroup: e.group, weight: e.weight, effectiveWeight: e.weight * weightFactor })),
    );
    return {
      providerId,
      connected: live.connected,
      reachable: live.reachable,
      inFlight: live.inFlight,
      breaker: health === undefined ? BreakerState.BREAKER_STATE_UNSPECIFIED : BREAKER[health.breaker],
      errorRate: health?.errorRate ?? 0,
      answers: health?.answers ?? 0,
      undeliveredShare: health?.undeliveredShare ?? 0,
      weightFactor,
      drained: operator.drained,
      preferred: operator.preferred,
      channels,
    };
  };

  return {
    list: () => deps.config().providers.map((p) => state(p.id)),
    drain: async (providerId) => {
      known(providerId, 'provider_id');
      await change(new Map([[providerId, { drained: true, preferred: false }]]));
      log('warn', 'provider drained by an operator', { provider: providerId });
      return state(providerId);
    },
    resume: async (providerId) => {
      known(providerId, 'provider_id');
      await change(new Map([[providerId, { drained: false, preferred: false }]]));
      log('info', 'provider resumed by an operator', { provider: providerId });
      return state(providerId);
    },
    switchTraffic: async (fromProviderId, toProviderId) => {
      known(fromProviderId, 'from_provider_id');
      known(toProviderId, 'to_provider_id');
      if (fromProviderId === toProviderId) throw invalidArgument(`from_provider_id and to_provider_id are both "${fromProviderId}"; give two different providers`);
      const toChannels = new Set(channelsOf(toProviderId));
      const shared = channelsOf(fromProviderId).filter((c) => toChannels.has(c));
      if (shared.length === 0) {
        throw new GatewayError(
          Status.FAILED_PRECONDITION,
          `"${fromProviderId}" and "${toProviderId}" share no channel in routing.channels, so no traffic can move between them; drain "${fromProviderId}" instead`,
        );
      }
      await change(
        new Map([
          [fromProviderId, { drained: true, preferred: false }],
          [toProviderId, { drained: false, preferred: true }],
        ]),
      );
      log('warn', 'provider traffic switched by an operator', { from: fromProviderId, to: toProviderId, channels: shared });
      return { from: state(fromProviderId), to: state(toProviderId), channels: shared };
    },
  };
}
