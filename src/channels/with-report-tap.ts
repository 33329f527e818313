import type { ProviderConnector, ProviderReport, ProviderReportBatch } from './provider-connector.js';

/**
 * The same connector, with `tap` called on every delivery report as it passes (before it is stored):
 * how supplier health learns of final reports without the report ingest knowing about health.
 */
export function withReportTap(connector: ProviderConnector, tap: (report: ProviderReport) => void): ProviderConnector {
  return {
    id: connector.id,
    kind: connector.kind,
    capabilities: () => connector.capabilities(),
    liveState: () => connector.liveState(),
    submit: (batch, signal) => connector.submit(batch, signal),
    close: () => connector.close(),
    reports: () => tapped(connector.reports(), tap),
  };
}

async function* tapped(batches: AsyncIterable<ProviderReportBatch>, tap: (report: ProviderReport) => void): AsyncIterable<ProviderReportBatch> {
  for await (const batch of batches) {
    for (const report of batch.reports) if (report.delivery !== null) tap(report);
    yield batch;
  }
}
