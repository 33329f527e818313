import type { Config } from '../config/config.js';
import type { ProviderConnector, ProviderReport } from '../channels/provider-connector.js';
import type { InboundEvent } from '../domain/status-event.js';
import { log } from '../log.js';
import type { GatewayMetrics } from '../metrics.js';
import type { EventToRecord, MessageStore } from '../store/store.js';

export interface ReportIngestorDeps {
  readonly store: MessageStore;
  readonly metrics: GatewayMetrics;
  readonly config: () => Config;
  readonly now: () => number;
}

/** Counts of what the ingestor could not attribute, for metrics and tests. */
export interface IngestStats {
  /** Delivery reports for message ids the store does not know (quarantined). */
  unknownDeliveries: number;
  /** Inbound messages that no tenant could be found for. */
  unattributedInbound: number;
}

/**
 * Reads a connector's reports, stores them, and only then acks them to the provider, so a report
 * is never lost across reconnects. A resent inbound message is dropped by its report id; a resent
 * delivery report changes nothing because final states are final.
 */
export async function ingestReports(connector: ProviderConnector, deps: ReportIngestorDeps, stats: IngestStats, signal: AbortSignal): Promise<void> {
  for await (const batch of connector.reports()) {
    // A batch that cannot be stored (the store is down) is tried again until it can: skipping it
    // would leave it unacked at the provider until some later reconnect. While this waits, the
    // connector's queue fills and it pauses the provider's stream.
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await storeReports(connector.id, batch.reports, deps, stats);
        batch.ack();
        break;
      } catch (error) {
        log('error', 'storing provider reports failed; retrying', { provider: connector.id, count: batch.reports.length, attempt, error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  }
}

async function storeReports(providerId: string, reports: readonly ProviderReport[], deps: ReportIngestorDeps, stats: IngestStats): Promise<void> {
  const deliveries: EventToRecord[] = [];
  const inbound: { event: InboundEvent; dedupKey: string }[] = [];
  for (const report of reports) {
    const dedupKey = `report:${providerId}:${report.reportId}`;
    const d = report.delivery;
    if (d !== null) {
      deliveries.push({
        event: {
          messageId: d.messageId,
          state: d.state,
          atMs: d.doneAtMs || deps.now(),
          channel: null,
          providerId,
          providerRef: d.providerRef,
          code: d.code,
          reason: d.description,
          billableUnits: 0,
        },
        // No dedup key: delivery reports carry final states, and the monotone state machine already
        // turns a resent one into a no-op ('stale'), without a key per report in the store.
        dedupKey: '',
      });
    }
    const m = report.inbound;
    if (m !== null) {
      const tenant = await tenantOfInbound(m.inReplyToMessageId, m.to, deps);
      if (tenant === undefined) {
        stats.unattributedInbound++;
        continue;
      }
      inbound.push({
        event: { tenant, providerId, channel: m.channel, from: m.from, to: m.to, body: m.body, inReplyToMessageId: m.inReplyToMessageId, receivedAtMs: m.receivedAtMs || deps.now() },
        dedupKey,
      });
    }
  }
  if (deliveries.length > 0) {
    const outcomes = await deps.store.recordEvents(deliveries);
    const unknownIds: string[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome === 'unknown-message') unknownIds.push(deliveries[i]?.event.messageId ?? '');
    });
    const unknown = unknownIds.length;
    if (unknown > 0) {
      stats.unknownDeliveries += unknown;
      deps.metrics.unknownReports.inc({ provider: providerId }, unknown);
      // Quarantined: not applied to any message, acked so the provider stops resending, and left here for people to look at.
      log('warn', 'delivery reports for unknown message ids quarantined', { provider: providerId, count: unknown, messageIds: unknownIds.slice(0, 20) });
    }
  }
  if (inbound.length > 0) await deps.store.recordInbound(inbound);
}

/** The message replied to decides the tenant; otherwise the tenant whose registered sender number was texted. */
async function tenantOfInbound(inReplyTo: string, to: string, deps: ReportIngestorDeps): Promise<string | undefined> {
  if (inReplyTo !== '') {
    const tenant = await deps.store.getTenantOf(inReplyTo);
    if (tenant !== undefined) return tenant;
  }
  const digits = to.replace(/\D/g, '');
  for (const tenant of deps.config().tenants.values()) if (tenant.senderNumbers.includes(digits)) return tenant.id;
  return undefined;
}
