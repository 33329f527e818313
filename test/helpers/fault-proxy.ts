import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 for fault tests (this machine has no toxiproxy or netem). It forwards
 * each accepted connection to `upstream` and can, on command:
 * - stall: stop forwarding in both directions while keeping every socket open (a hung peer; new
 *   connections are accepted and stall too);
 * - reset: destroy every connection with a TCP RST;
 * - add latency to each chunk, or cap the bandwidth (bytes per second, each direction);
 * - resume: undo stall, latency and bandwidth.
 * Data is read only as fast as it is forwarded (the socket is paused meanwhile), so a slow proxy
 * pushes back on the sender like a slow network does, and the proxy's own buffers stay small.
 */
export interface FaultProxy {
  /** host:port to connect to instead of the upstream. */
  readonly address: string;
  /** Connections accepted so far (a reconnect counts again). */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  stall(): void;
  reset(): void;
  setLatency(ms: number): void;
  setBandwidth(bytesPerSecond: number): void;
  resume(): void;
  close(): Promise<void>;
}

interface Pipe {
  readonly client: Socket;
  readonly upstream: Socket;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const colon = upstream.lastIndexOf(':');
  const upstreamHost = upstream.slice(0, colon);
  const upstreamPort = Number(upstream.slice(colon + 1));
  const pipes = new Set<Pipe>();
  let stalled = false;
  let latencyMs = 0;
  let bytesPerSecond = 0;
  let accepted = 0;
  /** Forwarders waiting for resume(). */
  let stallWaiters: (() => void)[] = [];

  const whileStalled = (): Promise<void> => (stalled ? new Promise((resolve) => stallWaiters.push(resolve)) : Promise.resolve());

  /** Moves data from one socket to the other, one chunk at a time, applying the faults in force. */
  const forward = (from: Socket, to: Socket): void => {
    // Each chunk is due `latencyMs` after it arrived: latency delays data without cutting throughput (as Toxiproxy's).
    const chunks: { data: Buffer; dueAtMs: number }[] = [];
    let busy = false;
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      while (chunks.length > 0) {
        await whileStalled();
        const head = chunks[0] as { data: Buffer; dueAtMs: number };
        const waitMs = head.dueAtMs - Date.now();
        if (waitMs > 0) await sleep(waitMs);
        chunks.shift();
        let chunk = head.data;
        if (bytesPerSecond > 0) {
          // At most 1/20 s worth at a time, so a limit takes effect within a chunk.
          const slice = Math.max(1, Math.floor(bytesPerSecond / 20));
          if (chunk.length > slice) {
            chunks.unshift({ data: chunk.subarray(slice), dueAtMs: 0 });
            chunk = chunk.subarray(0, slice);
          }
          await sleep((chunk.length * 1000) / bytesPerSecond);
        }
        await whileStalled();
        if (to.destroyed) return;
        if (!to.write(chunk)) await new Promise((resolve) => to.once('drain', resolve).once('close', resolve));
      }
      busy = false;
      if (!from.destroyed) from.resume();
    };
    from.on('data', (chunk: Buffer) => {
      chunks.push({ data: chunk, dueAtMs: Date.now() + latencyMs });
      // Read on while the backlog is small, so latency does not throttle; past that, push back on the sender.
      if (chunks.length >= 64) from.pause();
      void pump();
    });
  };

  const server: Server = createServer((client) => {
    accepted++;
    const upstreamSocket = connect({ host: upstreamHost, port: upstreamPort });
    const pipe: Pipe = { client, upstream: upstreamSocket };
    pipes.add(pipe);
    const end = (): void => {
      pipes.delete(pipe);
      client.destroy();
      upstreamSocket.destroy();
    };
    client.on('error', end).on('close', end);
    upstreamSocket.on('error', end).on('close', end);
    forward(client, upstreamSocket);
    forward(upstreamSocket, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };

  const proxy: FaultProxy = {
    address: `127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    get open() {
      return pipes.size;
    },
    stall() {
      stalled = true;
    },
    reset() {
      for (const pipe of [...pipes]) {
        pipes.delete(pipe);
        pipe.client.resetAndDestroy();
        pipe.upstream.resetAndDestroy();
      }
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    setBandwidth(rate) {
      bytesPerSecond = rate;
    },
    resume() {
      stalled = false;
      latencyMs = 0;
      bytesPerSecond = 0;
      const waiters = stallWaiters;
      stallWaiters = [];
      for (const wake of waiters) wake();
    },
    async close() {
      proxy.resume();
      for (const pipe of [...pipes]) {
        pipe.client.destroy();
        pipe.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
