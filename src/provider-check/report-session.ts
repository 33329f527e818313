import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { ChannelProviderClient, ProviderReport, ReportAck, ReportBatch } from '../gen/switchboard/provider/v1/provider.js';
import type { RunLedger } from './run-ledger.js';
import { createWaker } from './waker.js';

/**
 * One Reports stream as the checks use it. With `autoAck` every report is acked as it arrives,
 * as a gateway does once it has stored it; without, nothing is acked unless `ack()` says so.
 */
export interface ReportSession {
  /** Every report received on this stream, in order (resends included). */
  readonly reports: readonly ProviderReport[];
  /** Report ids received on this stream. */
  readonly seen: ReadonlySet<string>;
  ack(reportIds: readonly string[]): void;
  error(): Error | undefined;
  /** Resolves true once `predicate` holds, re-tested on every frame; false on timeout or when the stream ends first. */
  until(predicate: () => boolean, timeoutMs: number): Promise<boolean>;
  /**
   * Half-closes (acks already written reach the provider before the end does), waits up to
   * `graceMs` for the provider to end the stream, then cancels it.
   */
  close(graceMs: number): Promise<void>;
}

export function openReportSession(client: ChannelProviderClient, ledger: RunLedger, autoAck: boolean): ReportSession {
  const call: ClientDuplexStream<ReportAck, ReportBatch> = client.reports();
  const waker = createWaker();
  const reports: ProviderReport[] = [];
  const seen = new Set<string>();
  let failure: Error | undefined;
  let ended = false;

  call.on('data', (batch: ReportBatch) => {
    for (const report of batch.reports) {
      reports.push(report);
      seen.add(report.reportId);
      if (report.event?.$case === 'delivery') ledger.noteDelivery(report.reportId, report.event.value);
    }
    if (autoAck && batch.reports.length > 0 && !ended) call.write({ reportIds: batch.reports.map((r) => r.reportId) });
    waker.notify();
  });
  const stop = (): void => {
    ended = true;
    waker.notify();
  };
  call.on('error', (error: Error) => {
    failure ??= error;
    stop();
  });
  call.on('end', stop);
  call.on('close', stop);

  return {
    reports,
    seen,
    error: () => failure,
    ack: (reportIds) => {
      if (!ended && reportIds.length > 0) call.write({ reportIds: [...reportIds] });
    },
    until: async (predicate, timeoutMs) => {
      await waker.until(() => predicate() || ended, timeoutMs);
      return predicate();
    },
    async close(graceMs) {
      if (!ended) call.end();
      if (!(await waker.until(() => ended, graceMs))) call.cancel();
    },
  };
}
