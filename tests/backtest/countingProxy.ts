/** A loopback HTTP proxy that records every request it forwards (to count what reaches the exchange). */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  readonly url: string;
  /** Request paths with query, in order. */
  readonly log: string[];
  close(): Promise<void>;
}

/** An HTTP proxy in front of `target` that records every request it forwards. */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const log: string[] = [];
  const t = new URL(target);
  const server: Server = createServer((req, res) => {
    log.push(req.url ?? '');
    const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

