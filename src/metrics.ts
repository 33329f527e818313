import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * The gateway's Prometheus metrics, on a registry of its own (not prom-client's global one), so
 * several nodes in one test process do not share counters. Named switchboard_<area>_<thing>_<unit>.
 * Hot paths add per batch (inc by a count), never per message.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Messages acknowledged as accepted (duplicates of an accepted client_ref included, labelled). */
  readonly messagesAccepted: Counter<'duplicate'>;
  /** Messages refused at admission, by RejectReason name. */
  readonly messagesRejected: Counter<'reason'>;
  /** Provider answers, by provider and outcome (accepted, rejected, retryable). */
  readonly providerAnswers: Counter<'provider' | 'outcome'>;
  /** Delivery reports for message ids the store does not know (quarantined). */
  readonly unknownReports: Counter<'provider'>;
  /** Circuit breaker state per provider: 0 closed, 1 half-open, 2 open. */
  readonly providerBreakerState: Gauge<'provider'>;
  /** Breaker transitions, by provider and the state entered. */
  readonly providerBreakerTransitions: Counter<'provider' | 'to'>;
  /** Share of its configured weight a provider gets now (adaptive weights), 0..1. */
  readonly providerWeightFactor: Gauge<'provider'>;
  /** Adaptive weight steps, by provider and direction (down, up). */
  readonly providerWeightShifts: Counter<'provider' | 'direction'>;
  /** Messages over their tenant's accept rate: Sends refused, and stream messages held back (tenants[].acceptRate). */
  readonly tenantRateLimited: Counter<'tenant' | 'outcome'>;
}

/** What the node reads for its gauges at scrape time. */
export interface GaugeSources {
  /** Calls being served now (unary ones in progress, open SendStream and WatchReports streams). */
  readonly activeCalls: () => number;
}

export function createGatewayMetrics(sources?: GaugeSources): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });
  if (sources !== undefined) {
    new Gauge({
      name: 'switchboard_gateway_active_calls',
      help: 'Calls being served now: unary calls in progress and open SendStream and WatchReports streams',
      registers: [registry],
      collect() {
        this.set(sources.activeCalls());
      },
    });
  }
  return {
    registry,
    messagesAccepted: new Counter({ name: 'switchboard_gateway_messages_accepted_total', help: 'Messages acknowledged as accepted', labelNames: ['duplicate'], registers: [registry] }),
    messagesRejected: new Counter({ name: 'switchboard_gateway_messages_rejected_total', help: 'Messages refused at admission, by reason', labelNames: ['reason'], registers: [registry] }),
    providerAnswers: new Counter({ name: 'switchboard_channel_provider_answers_total', help: 'Provider answers by provider and outcome', labelNames: ['provider', 'outcome'], registers: [registry] }),
    unknownReports: new Counter({ name: 'switchboard_channel_unknown_reports_total', help: 'Delivery reports for unknown message ids', labelNames: ['provider'], registers: [registry] }),
    providerBreakerState: new Gauge({ name: 'switchboard_channel_provider_breaker_state', help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open', labelNames: ['provider'], registers: [registry] }),
    providerBreakerTransitions: new Counter({ name: 'switchboard_channel_provider_breaker_transitions_total', help: 'Circuit breaker transitions by state entered', labelNames: ['provider', 'to'], registers: [registry] }),
    providerWeightFactor: new Gauge({ name: 'switchboard_channel_provider_weight_factor', help: 'Share of its configured weight a provider gets now (adaptive weights)', labelNames: ['provider'], registers: [registry] }),
    providerWeightShifts: new Counter({ name: 'switchboard_channel_provider_weight_shifts_total', help: 'Adaptive weight steps by direction', labelNames: ['provider', 'direction'], registers: [registry] }),
    tenantRateLimited: new Counter({
      name: 'switchboard_gateway_tenant_rate_limited_total',
      help: "Messages over their tenant's accept rate: Sends refused (outcome refused), stream messages held back (outcome held)",
      labelNames: ['tenant', 'outcome'],
      registers: [registry],
    }),
  };
}
