// The live progress line on stderr: scenario, elapsed time, rate, errors. Rewritten in place on
// a terminal, one line per update elsewhere (CI logs).
export interface Progress {
  /** Starts a new phase; its clock starts now. */
  phase(name: string): void;
  update(figures: { acceptedPerSec?: number; deliveredPerSec?: number; errors?: number; note?: string }): void;
  /** Ends the line with a final note. */
  done(note: string): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  let name = '';
  let startedAt = performance.now();
  let errors = 0;
  const tty = stream.isTTY === true;
  const write = (text: string, final: boolean): void => {
    if (tty) stream.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    else stream.write(`${text}\n`);
  };
  const elapsed = (): string => `${((performance.now() - startedAt) / 1000).toFixed(1)}s`;
  return {
    phase: (next) => {
      name = next;
      errors = 0;
      startedAt = performance.now();
      write(`[${name}] starting`, false);
    },
    update: (figures) => {
      errors += figures.errors ?? 0;
      const parts = [`[${name}]`, elapsed()];
      if (figures.acceptedPerSec !== undefined) parts.push(`accepted ${figures.acceptedPerSec.toLocaleString('en-US')}/s`);
      if (figures.deliveredPerSec !== undefined) parts.push(`delivered ${figures.deliveredPerSec.toLocaleString('en-US')}/s`);
      parts.push(`errors ${errors}`);
      if (figures.note !== undefined) parts.push(figures.note);
      write(parts.join('  '), false);
    },
    done: (note) => write(`[${name}] ${elapsed()}  ${note}`, true),
  };
}
