/**
 * Resolves on the first SIGTERM or SIGINT. Call it before announcing readiness: a signal that
 * arrives before the listeners exist takes Node's default action and kills the process. The listeners stay installed afterwards, so a repeated
 * signal during the drain that follows is ignored instead of killing the process half-way
 * (Node's default action for a signal without listeners).
 */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) return;
      received = true;
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
