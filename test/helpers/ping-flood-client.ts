// An HTTP/2 client that only sends PING frames, run as its own process (RELIABILITY C6):
//   node dist/test/helpers/ping-flood-client.js HOST:PORT PINGS_PER_MS
// After the connection preface and SETTINGS it writes PINGS_PER_MS pings every millisecond and
// reads (and drops) the acks; with 0 it writes pings as fast as the socket takes them and never
// reads. Prints "acked <bytes>" once a second, and "closed" when the server closes the connection.
import { connect } from 'node:net';

const [target, perMsArg] = process.argv.slice(2);
if (target === undefined || perMsArg === undefined) {
  process.stderr.write('usage: ping-flood-client HOST:PORT PINGS_PER_MS\n');
  process.exit(2);
}
const perMs = Number(perMsArg);
const colon = target.lastIndexOf(':');
const socket = connect(Number(target.slice(colon + 1)), target.slice(0, colon));
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
const SETTINGS_ACK = Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0]);
// Length 8, type PING (6), no flags, stream 0, 8 bytes of opaque data.
const PING = Buffer.from([0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);

let bytesBack = 0;
socket.on('close', () => {
  process.stdout.write('closed\n');
  process.exit(0);
});
socket.on('error', () => {});
socket.on('connect', () => {
  socket.write(Buffer.concat([PREFACE, SETTINGS, SETTINGS_ACK]));
  if (perMs > 0) {
    socket.on('data', (chunk: Buffer) => (bytesBack += chunk.length));
    const burst = Buffer.concat(Array.from({ length: perMs }, () => PING));
    setInterval(() => socket.write(burst), 1);
    setInterval(() => process.stdout.write(`acked ${bytesBack}\n`), 1000);
  } else {
    socket.pause();
    const block = Buffer.concat(Array.from({ length: 1000 }, () => PING));
    const pump = (): void => {
      while (socket.write(block));
    };
    socket.on('drain', pump);
    pump();
  }
});
