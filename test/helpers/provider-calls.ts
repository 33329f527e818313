import type { ChannelProviderClient, DeliveryReport, ProviderMessage, ProviderReport, SubmitResult } from '../../src/gen/switchboard/provider/v1/provider.js';

/** Writes the frames on a new Submit stream, half-closes, and returns each answer frame's results in arrival order. */
export function submitFrames(client: ChannelProviderClient, frames: ProviderMessage[][]): Promise<SubmitResult[][]> {
  return new Promise((resolve, reject) => {
    const call = client.submit();
    const answers: SubmitResult[][] = [];
    call.on('data', (response: { results: SubmitResult[] }) => answers.push(response.results));
    call.on('error', reject);
    call.on('end', () => resolve(answers));
    for (const messages of frames) call.write({ messages });
    call.end();
  });
}

/** Opens a Reports stream that collects reports; ack() writes a ReportAck. */
export function openReports(client: ChannelProviderClient) {
  const call = client.reports();
  const reports: ProviderReport[] = [];
  call.on('data', (batch: { reports: ProviderReport[] }) => reports.push(...batch.reports));
  call.on('error', () => {}); // CANCELLED after cancel() is expected
  return {
    call,
    reports,
    ids: () => reports.map((r) => r.reportId),
    deliveries: (): DeliveryReport[] => reports.flatMap((r) => (r.event?.$case === 'delivery' ? [r.event.value] : [])),
    ack: (...reportIds: string[]) => call.write({ reportIds }),
  };
}
