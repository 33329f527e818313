import { credentials, Metadata } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { MessageGatewayClient, type AckBatch, type SendBatch } from '../../src/gen/switchboard/v1/gateway.js';
import { makeMessage } from './gateway-calls.js';

export interface StreamLedger {
  /** client_ref -> message_id, for every message the gateway acknowledged as accepted. */
  readonly acked: Map<string, string>;
  /** Rejections seen, by reason code (e.g. STORE_UNAVAILABLE while Redis was down). */
  readonly rejections: Map<number, number>;
  /** Stream failures seen (the gateway died, Redis was down...). */
  streamErrors: number;
}

export interface StreamPlan {
  readonly targets: readonly string[];
  readonly apiKey: string;
  /** client_refs to send; each is sent until acknowledged, always with the same client_ref. */
  readonly clientRefs: readonly string[];
  readonly frameSize: number;
  /** Called after every AckBatch, e.g. to inject a fault at some point. */
  readonly onProgress?: (ledger: StreamLedger) => void;
  /** Gives up (throws) after this long. */
  readonly deadlineMs: number;
}

/**
 * A client that behaves as RELIABILITY.md asks of upstream systems: stream every message, and after
 * any failure reconnect (to the next gateway) and resend whatever it holds no ack for, with the
 * same client_ref. The ledger it returns is the ground truth of what the gateway promised.
 */
export async function streamUntilAcked(plan: StreamPlan, ledger: StreamLedger = newLedger()): Promise<StreamLedger> {
  const deadline = Date.now() + plan.deadlineMs;
  let target = 0;
  // The ledger may be shared by several plans streaming at once: count only this plan's refs.
  for (let todo = unacked(plan, ledger); todo.length > 0; todo = unacked(plan, ledger)) {
    if (Date.now() > deadline) throw new Error(`${todo.length} of ${plan.clientRefs.length} messages not acknowledged within ${plan.deadlineMs} ms`);
    try {
      await streamOnce(plan.targets[target % plan.targets.length] as string, plan, todo, ledger);
    } catch {
      ledger.streamErrors++;
      target++;
      await sleep(100);
      continue;
    }
    if (unacked(plan, ledger).length > 0) await sleep(100); // some were refused (store down, queue full): try again
  }
  return ledger;
}

function unacked(plan: StreamPlan, ledger: StreamLedger): string[] {
  return [...new Set(plan.clientRefs)].filter((ref) => !ledger.acked.has(ref));
}

export function newLedger(): StreamLedger {
  return { acked: new Map(), rejections: new Map(), streamErrors: 0 };
}

function streamOnce(address: string, plan: StreamPlan, refs: readonly string[], ledger: StreamLedger): Promise<void> {
  const client = new MessageGatewayClient(address, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('x-api-key', plan.apiKey);
  const call = client.sendStream(metadata, { deadline: Date.now() + 60_000 });
  const frames: SendBatch[] = [];
  for (let i = 0; i < refs.length; i += plan.frameSize) {
    frames.push({ batchId: frames.length, messages: refs.slice(i, i + plan.frameSize).map((clientRef) => makeMessage({ clientRef, content: { body: `chaos ${clientRef}`, subject: '' } })) });
  }
  let next = 0;
  let answered = 0;
  return new Promise<void>((resolve, reject) => {
    const writeMore = (): void => {
      while (next < frames.length && next - answered < 8) call.write(frames[next++] as SendBatch);
      if (next === frames.length) call.end();
    };
    call.on('data', (batch: AckBatch) => {
      answered++;
      for (const ack of batch.acks) {
        if (ack.accepted) ledger.acked.set(ack.clientRef, ack.messageId);
        else ledger.rejections.set(ack.reason, (ledger.rejections.get(ack.reason) ?? 0) + 1);
      }
      plan.onProgress?.(ledger);
      writeMore();
    });
    call.on('error', reject);
    call.on('end', () => resolve());
    writeMore();
  }).finally(() => client.close());
}
