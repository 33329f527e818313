import type { ClientDuplexStream } from '@grpc/grpc-js';
import type {
  ChannelProviderClient,
  ProviderMessage,
  SubmitRequest,
  SubmitResponse,
  SubmitResult,
} from '../gen/switchboard/provider/v1/provider.js';
import type { RunLedger } from './run-ledger.js';
import { createWaker } from './waker.js';

/**
 * One Submit stream as the checks use it: writes frames honouring back-pressure, and records
 * every answer by message id so a check can tell missing, duplicate and unknown answers apart.
 */
export interface SubmitSession {
  /**
   * Writes one frame; resolves once the stream takes more: true at once or after 'drain', false
   * when the provider read nothing for `drainTimeoutMs` (or the stream closed) meanwhile.
   */
  write(messages: ProviderMessage[]): Promise<boolean>;
  /** How often each message id was written on this stream. */
  readonly sent: ReadonlyMap<string, number>;
  /** Every answer received, by message id, in arrival order. */
  readonly answers: ReadonlyMap<string, SubmitResult[]>;
  /** Answers naming a message id never written on this stream. */
  readonly strayAnswers: readonly SubmitResult[];
  /** The stream's error, once it failed. */
  error(): Error | undefined;
  /** Resolves true once every id written has at least as many answers as writes; false on timeout or when the stream ends short. */
  allAnswered(timeoutMs: number): Promise<boolean>;
  /** Resolves true once `predicate` holds, re-tested on every answer; false on timeout or when the stream ends first. */
  until(predicate: () => boolean, timeoutMs: number): Promise<boolean>;
  /** Half-closes, waits up to `graceMs` for the server to end the stream, then cancels it. */
  close(graceMs: number): Promise<void>;
}

export function openSubmitSession(client: ChannelProviderClient, ledger: RunLedger, drainTimeoutMs: number): SubmitSession {
  const call: ClientDuplexStream<SubmitRequest, SubmitResponse> = client.submit();
  const waker = createWaker();
  const sent = new Map<string, number>();
  const answers = new Map<string, SubmitResult[]>();
  const strayAnswers: SubmitResult[] = [];
  let failure: Error | undefined;
  let ended = false;

  call.on('data', (response: SubmitResponse) => {
    for (const result of response.results) {
      ledger.noteAnswer(result);
      const list = answers.get(result.messageId);
      if (sent.has(result.messageId)) {
        if (list === undefined) answers.set(result.messageId, [result]);
        else list.push(result);
      } else {
        strayAnswers.push(result);
      }
    }
    waker.notify();
  });
  call.on('error', (error: Error) => {
    failure ??= error;
    ended = true;
    waker.notify();
  });
  call.on('end', () => {
    ended = true;
    waker.notify();
  });
  call.on('close', () => {
    ended = true;
    waker.notify();
  });

  const answeredAll = (): boolean => {
    for (const [id, times] of sent) if ((answers.get(id)?.length ?? 0) < times) return false;
    return true;
  };

  return {
    sent,
    answers,
    strayAnswers,
    error: () => failure,
    async write(messages) {
      for (const message of messages) {
        sent.set(message.messageId, (sent.get(message.messageId) ?? 0) + 1);
        ledger.noteSubmitted(message.messageId);
      }
      if (ended) return false;
      if (call.write({ messages })) return true;
      // Bounded: a provider that neither reads nor answers must fail a check, not hang the run.
      return new Promise<boolean>((resolve) => {
        const done = (drained: boolean): void => {
          clearTimeout(timer);
          call.off('drain', onDrain);
          call.off('close', onClose);
          resolve(drained);
        };
        const onDrain = (): void => done(true);
        const onClose = (): void => done(false);
        const timer = setTimeout(() => done(false), drainTimeoutMs);
        call.on('drain', onDrain);
        call.on('close', onClose);
      });
    },
    // A stream that ended stops the wait: no more answers can come on it.
    allAnswered: async (timeoutMs) => {
      await waker.until(() => answeredAll() || ended, timeoutMs);
      return answeredAll();
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
