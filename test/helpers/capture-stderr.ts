/**
 * Runs `run` and returns what this process wrote on stderr meanwhile, line by line (still passed
 * through): the node's JSON log lines, for tests of what it logs.
 */
export async function stderrLinesDuring(run: () => Promise<void>): Promise<string[]> {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    await run();
  } finally {
    process.stderr.write = write;
  }
  return chunks.join('').split('\n').filter((line) => line !== '');
}
