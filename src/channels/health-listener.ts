import { log } from '../log.js';
import type { GatewayMetrics } from '../metrics.js';
import type { BreakerState, HealthListener } from './provider-health.js';

const BREAKER_GAUGE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Logs every breaker transition and weight shift, and exports them as metrics. */
export function createHealthListener(metrics: GatewayMetrics): HealthListener {
  return {
    breakerChanged(provider, from, to, why) {
      log(to === 'open' ? 'warn' : 'info', 'provider circuit breaker changed', { provider, from, to, why });
      metrics.providerBreakerState.set({ provider }, BREAKER_GAUGE[to]);
      metrics.providerBreakerTransitions.inc({ provider, to });
    },
    weightShifted(provider, factor, direction, why) {
      log(direction === 'down' ? 'warn' : 'info', 'provider weight shifted', { provider, factor, direction, why });
      metrics.providerWeightFactor.set({ provider }, factor);
      metrics.providerWeightShifts.inc({ provider, direction });
    },
  };
}
