import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { experimental } from '@grpc/grpc-js';
import { log } from '../log.js';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** PEM files, each named by its config path for error messages (e.g. "server.tls.certFile"). */
export interface CertificateFiles {
  /** Certificate chain and its key: both or neither. */
  readonly cert: { readonly path: string; readonly file: string } | null;
  readonly key: { readonly path: string; readonly file: string } | null;
  readonly ca: { readonly path: string; readonly file: string } | null;
  readonly refreshIntervalMs: number;
}

/** TLS files that cannot be used; `setting` is the config path of the file at fault (e.g. "server.tls.keyFile"). */
export class CertificateFilesError extends Error {
  override readonly name = 'CertificateFilesError';
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

interface Loaded {
  readonly cert: Buffer | null;
  readonly key: Buffer | null;
  readonly ca: Buffer | null;
}

/**
 * A grpc-js CertificateProvider over PEM files, read again every refreshIntervalMs, so a renewed
 * certificate applies to new connections without a restart. Unlike grpc-js's own
 * FileWatcherCertificateProvider, a read that fails, or finds a key that does not match its
 * certificate (a rotation caught half-way), keeps the last good files and logs a warning instead of
 * refusing every new connection. The first read happens in the constructor and throws, naming the
 * config path, so a node with bad files does not start.
 */
export class WatchedCertificates implements CertificateProvider {
  private current: Loaded;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private timer: NodeJS.Timeout | null = null;
  private reading = false;

  constructor(private readonly files: CertificateFiles) {
    const read = (entry: { path: string; file: string } | null): Buffer | null => {
      if (entry === null) return null;
      try {
        return readFileSync(entry.file);
      } catch (error) {
        throw new CertificateFilesError(entry.path, `cannot read ${JSON.stringify(entry.file)}: ${(error as Error).message}`);
      }
    };
    const loaded = { cert: read(files.cert), key: read(files.key), ca: read(files.ca) };
    const problem = problemOf(loaded, files);
    if (problem !== null) throw problem;
    this.current = loaded;
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    this.startWatching();
    // Later, as grpc-js's own provider does: its credentials register their watcher after this call.
    process.nextTick(() => this.caListeners.has(listener) && listener(this.caUpdate()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
    this.stopWatchingWhenUnused();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    this.startWatching();
    process.nextTick(() => this.identityListeners.has(listener) && listener(this.identityUpdate()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
    this.stopWatchingWhenUnused();
  }

  private caUpdate(): experimental.CaCertificateUpdate | null {
    return this.current.ca === null ? null : { caCertificate: this.current.ca };
  }

  private identityUpdate(): experimental.IdentityCertificateUpdate | null {
    const { cert, key } = this.current;
    return cert === null || key === null ? null : { certificate: cert, privateKey: key };
  }

  private startWatching(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.refresh(), this.files.refreshIntervalMs);
    this.timer.unref();
  }

  private stopWatchingWhenUnused(): void {
    if (this.caListeners.size > 0 || this.identityListeners.size > 0 || this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads the files again; tells the listeners only when they changed and are good together. */
  private async refresh(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const read = async (entry: { file: string } | null): Promise<Buffer | null> => (entry === null ? null : readFile(entry.file));
      const [cert, key, ca] = await Promise.all([read(this.files.cert), read(this.files.key), read(this.files.ca)]);
      const next = { cert, key, ca };
      if (same(next.cert, this.current.cert) && same(next.key, this.current.key) && same(next.ca, this.current.ca)) return;
      const problem = problemOf(next, this.files);
      if (problem !== null) {
        log('warn', 'TLS files changed but cannot be used; the last good ones stay in force', { problem: problem.message });
        return;
      }
      this.current = next;
      log('info', 'TLS files changed; new connections use them', { files: [this.files.cert?.file, this.files.ca?.file].filter((f) => f !== undefined) });
      for (const listener of this.identityListeners) listener(this.identityUpdate());
      for (const listener of this.caListeners) listener(this.caUpdate());
    } catch (error) {
      log('warn', 'TLS files could not be read again; the last good ones stay in force', { error: (error as Error).message });
    } finally {
      this.reading = false;
    }
  }
}

function same(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

/** Why the files cannot make a TLS context (unparsable PEM, a key that is not the certificate's), or null. */
function problemOf(loaded: Loaded, files: CertificateFiles): CertificateFilesError | null {
  try {
    createSecureContext({ cert: loaded.cert ?? undefined, key: loaded.key ?? undefined, ca: loaded.ca ?? undefined });
    return null;
  } catch (error) {
    const message = (error as Error).message;
    if (/key values mismatch/i.test(message) && files.key !== null && files.cert !== null) {
      return new CertificateFilesError(files.key.path, `the key in ${JSON.stringify(files.key.file)} is not the key of the certificate in ${files.cert.path} (${JSON.stringify(files.cert.file)})`);
    }
    const named = [files.cert, files.key, files.ca].filter((f) => f !== null);
    return new CertificateFilesError(named.map((f) => f.path).join(', '), `${named.map((f) => JSON.stringify(f.file)).join(', ')} not usable for TLS: ${message}`);
  }
}
