import { fail, pass, type Check } from '../check.js';
import { describeAnswer, listSome } from '../check-context.js';

/** Frame sizes of the acceptance run: a single message, a small frame and a larger one. */
const FRAMES = [1, 4, 15];

/** Every submitted message gets exactly one answer, accepted with a non-empty provider_ref, refs all different. */
export const acceptanceCheck: Check = {
  name: 'acceptance',
  summary: 'every message is answered exactly once, accepted with a non-empty provider_ref',
  async run(context) {
    const session = context.openSubmit();
    try {
      const messages = FRAMES.map((size) => Array.from({ length: size }, () => context.message('accept')));
      for (const frame of messages) await session.write(frame);
      const total = messages.flat().length;
      const complete = await session.allAnswered(context.settings.timeoutMs);
      // Linger a little so a second answer to any message has the chance to show.
      if (complete) await session.until(() => false, context.settleMs);
      const problems: string[] = [];
      const missing = [...session.sent.keys()].filter((id) => !session.answers.has(id));
      if (missing.length > 0) {
        const why = session.error() === undefined ? `within ${context.settings.timeoutMs} ms` : `before the stream failed (${session.error()?.message})`;
        problems.push(`${missing.length} of ${total} messages got no answer ${why}: ${listSome(missing)}`);
      }
      const repeated = [...session.answers].filter(([, answers]) => answers.length > 1);
      if (repeated.length > 0) {
        problems.push(`${repeated.length} messages were answered more than once (${listSome(repeated.map(([id, a]) => `${id} ${a.length} times`))}); each must be answered exactly once`);
      }
      if (session.strayAnswers.length > 0) {
        problems.push(`${session.strayAnswers.length} answers name message ids never submitted on the stream: ${listSome(session.strayAnswers.map((r) => JSON.stringify(r.messageId)))}`);
      }
      const notAccepted = [...session.answers].filter(([, [first]]) => first?.outcome?.$case !== 'accepted');
      if (notAccepted.length > 0) {
        problems.push(`${notAccepted.length} valid messages were not accepted: ${listSome(notAccepted.map(([id, [first]]) => `${id} ${describeAnswer(first)}`), 2)}`);
      }
      const refs = [...session.answers.values()].flatMap(([first]) => (first?.outcome?.$case === 'accepted' ? [first.outcome.value.providerRef] : []));
      const emptyRefs = refs.filter((ref) => ref.trim() === '').length;
      if (emptyRefs > 0) problems.push(`${emptyRefs} accepted answers have an empty provider_ref; every accepted message needs its own reference`);
      const nonEmpty = refs.filter((ref) => ref.trim() !== '');
      if (new Set(nonEmpty).size !== nonEmpty.length) problems.push('different messages were given the same provider_ref');
      if (problems.length > 0) return fail(problems.join('; '));
      return pass(`${total} messages in ${FRAMES.length} frames, each accepted once with its own provider_ref`);
    } finally {
      await session.close(context.closeGraceMs);
    }
  },
};
