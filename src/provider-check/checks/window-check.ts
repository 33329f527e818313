import { fail, pass, type Check } from '../check.js';
import { describeAnswer, listSome } from '../check-context.js';

/** Most messages per Submit frame the check writes. */
const FRAME = 100;
/** A stated window above this is tested at this size, to keep a run short. */
const MAX_TESTED_WINDOW = 5000;

/**
 * Keeps the advertised window (max_in_flight, or --window when none is stated) full for two
 * windows' worth of messages, then, when a limit is stated, writes a tenth of it beyond. The
 * provider must keep answering while the window is full (not only when the stream ends), answer
 * every message exactly once (none dropped), and accept what is inside the window. Beyond the
 * window it may push back (HTTP/2 flow control, which the check honours) or reject retryably
 * (anywhere, when it states a max_tps: the check does not pace itself), but it must not drop or
 * permanently refuse a valid message.
 */
export const windowCheck: Check = {
  name: 'window',
  summary: 'with max_in_flight messages in flight the provider keeps answering, drops nothing',
  async run(context) {
    const stated = context.capabilities?.maxInFlight ?? 0;
    const window = Math.min(stated > 0 ? stated : context.settings.window, MAX_TESTED_WINDOW);
    const total = 2 * window;
    const overflow = stated > 0 ? Math.max(1, Math.ceil(window / 10)) : 0;
    const timeoutMs = context.settings.timeoutMs;
    const session = context.openSubmit();
    const insideWindow = new Set<string>();
    let sent = 0;
    const answered = (): number => session.answers.size;
    try {
      while (sent < total) {
        // A stall is no answer for a whole timeout while the window is full.
        if (!(await session.until(() => sent - answered() < window, timeoutMs))) {
          return fail(stalled(sent, answered(), window, timeoutMs, session.error()));
        }
        const size = Math.min(FRAME, window - (sent - answered()), total - sent);
        const frame = Array.from({ length: size }, () => context.message('window'));
        for (const m of frame) insideWindow.add(m.messageId);
        sent += size;
        // Held by flow control for a whole timeout with no answer meanwhile: the provider stopped.
        const before = answered();
        if (!(await session.write(frame)) && answered() === before) return fail(blocked(sent, answered(), window, timeoutMs, session.error()));
      }
      if (overflow > 0) {
        // Only once the window is full again, so these really are beyond it.
        if (!(await session.until(() => sent - answered() < window, timeoutMs))) return fail(stalled(sent, answered(), window, timeoutMs, session.error()));
        const room = window - (sent - answered());
        const extra = Array.from({ length: room + overflow }, (_, i) => context.message(i < room ? 'window' : 'overflow'));
        for (const m of extra.slice(0, room)) insideWindow.add(m.messageId);
        sent += extra.length;
        // Beyond the window, being held by flow control is fair: the answer wait below judges progress.
        for (let i = 0; i < extra.length; i += FRAME) await session.write(extra.slice(i, i + FRAME));
      }
      // Every message is answered, progress counted per timeout rather than for the whole run.
      for (let before = -1; answered() < sent && answered() > before; ) {
        before = answered();
        await session.until(() => answered() >= sent || answered() > before, timeoutMs);
      }
      if (answered() < sent) return fail(stalled(sent, answered(), window, timeoutMs, session.error()));
      await session.until(() => false, context.settleMs);

      const problems: string[] = [];
      const repeated = [...session.answers].filter(([, answers]) => answers.length > 1).map(([id]) => id);
      if (repeated.length > 0) problems.push(`${repeated.length} messages answered more than once (${listSome(repeated)})`);
      if (session.strayAnswers.length > 0) problems.push(`${session.strayAnswers.length} answers name message ids never submitted`);
      // The check writes as fast as the window allows: past a stated max_tps, THROTTLED is fair.
      const throttles = (context.capabilities?.maxTps ?? 0) > 0;
      let accepted = 0;
      let retryable = 0;
      const refused: string[] = [];
      for (const [id, [answer]] of session.answers) {
        const outcome = answer?.outcome;
        if (outcome?.$case === 'accepted' && outcome.value.providerRef !== '') accepted++;
        else if (outcome?.$case === 'rejected' && outcome.value.retryable && (throttles || !insideWindow.has(id))) retryable++;
        else refused.push(`${id} ${describeAnswer(answer)}`);
      }
      if (refused.length > 0) {
        const rule = throttles ? 'only a retryable rejection is allowed' : 'inside the window they must be accepted; beyond it only a retryable rejection is allowed';
        problems.push(`${refused.length} valid messages were not accepted (${rule}): ${listSome(refused, 2)}`);
      }
      if (problems.length > 0) return fail(problems.join('; '));
      const beyond = overflow > 0 ? `, ${overflow} beyond it` : '';
      const throttled = retryable > 0 ? `, ${retryable} rejected retryably` : '';
      return pass(`window ${window}${stated > 0 ? '' : ' (none stated, --window)'} kept full for ${total} messages${beyond}; ${accepted} accepted${throttled}, none dropped`);
    } finally {
      await session.close(context.closeGraceMs);
    }
  },
};

function stalled(sent: number, answered: number, window: number, timeoutMs: number, error: Error | undefined): string {
  const why = error === undefined ? `no answer came for ${timeoutMs} ms` : `the stream failed: ${error.message}`;
  return `after ${answered} of ${sent} messages answered (window ${window}, ${sent - answered} in flight) ${why}; a provider must keep answering while its window is full`;
}

function blocked(sent: number, answered: number, window: number, timeoutMs: number, error: Error | undefined): string {
  if (error !== undefined) return stalled(sent, answered, window, timeoutMs, error);
  return `the provider read nothing and answered nothing for ${timeoutMs} ms (flow control held the writes) with ${sent - answered} of ${sent} messages unanswered, inside window ${window}; it must keep reading and answering up to its window`;
}
