/**
 * Where the adapter connects: Bybit's REST and WebSocket addresses per network (reference/bybit-v5.md
 * section 2 table), or any base URL (the sandbox, a proxy). Demo trading has its own REST and private
 * stream; its public data comes from mainnet.
 */
import { UserFacingError } from '../../util/errors.js';

export const BYBIT_NETWORKS = ['mainnet', 'testnet', 'demo'] as const;
export type BybitNetwork = (typeof BYBIT_NETWORKS)[number];

export interface BybitUrls {
  /** REST base, no trailing slash, e.g. https://api.bybit.com. */
  readonly rest: string;
  /** Linear public stream, e.g. wss://stream.bybit.com/v5/public/linear. */
  readonly wsPublic: string;
  readonly wsPrivate: string;
}

export interface BybitUrlOverrides {
  readonly restUrl?: string | null;
  readonly wsPublicUrl?: string | null;
  readonly wsPrivateUrl?: string | null;
}

/** A configuration mistake: reported without a stack, exit code 2. */
export class BybitEndpointError extends UserFacingError {
  override name = 'BybitEndpointError';
  constructor(message: string) {
    super(message, 2);
  }
}

const KNOWN: Readonly<Record<BybitNetwork, BybitUrls>> = {
  mainnet: {
    rest: 'https://api.bybit.com',
    wsPublic: 'wss://stream.bybit.com/v5/public/linear',
    wsPrivate: 'wss://stream.bybit.com/v5/private',
  },
  testnet: {
    rest: 'https://api-testnet.bybit.com',
    wsPublic: 'wss://stream-testnet.bybit.com/v5/public/linear',
    wsPrivate: 'wss://stream-testnet.bybit.com/v5/private',
  },
  demo: {
    rest: 'https://api-demo.bybit.com',
    wsPublic: 'wss://stream.bybit.com/v5/public/linear',
    wsPrivate: 'wss://stream-demo.bybit.com/v5/private',
  },
};

function checkUrl(what: string, raw: string, protocols: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BybitEndpointError(`${what} "${raw}" is not a URL`);
  }
  if (!protocols.includes(url.protocol)) throw new BybitEndpointError(`${what} "${raw}" must use ${protocols.join(' or ')}`);
  // ccxt switches to legacy signing when these appear in the URL (reference section 5).
  if (/openapi|unified\/v3|contract\/v3/.test(raw)) throw new BybitEndpointError(`${what} "${raw}" must not contain openapi, unified/v3 or contract/v3`);
  return raw.replace(/\/+$/, '');
}

/**
 * Bybit's stream host for a REST host (docs v5/guide and v5/ws/connect, 2026): api → stream on the
 * same site, with the exceptions Bybit lists. Demo trading's public data is mainnet's. Sites whose
 * stream host Bybit does not name (api.bybit.nl, .eu, .ae, .id) are left out: the user sets the
 * stream URLs, rather than the bot guessing.
 */
const STREAM_HOSTS: Readonly<Record<string, { readonly wsPublic: string; readonly wsPrivate: string }>> = {
  'api.bybit.com': { wsPublic: 'stream.bybit.com', wsPrivate: 'stream.bybit.com' },
  'api.bytick.com': { wsPublic: 'stream.bybit.com', wsPrivate: 'stream.bybit.com' },
  'api-testnet.bybit.com': { wsPublic: 'stream-testnet.bybit.com', wsPrivate: 'stream-testnet.bybit.com' },
  'api-demo.bybit.com': { wsPublic: 'stream.bybit.com', wsPrivate: 'stream-demo.bybit.com' },
  'api.bybit-tr.com': { wsPublic: 'stream.bybit-tr.com', wsPrivate: 'stream.bybit-tr.com' },
  'api.bybit.kz': { wsPublic: 'stream.bybit.kz', wsPrivate: 'stream.bybit.kz' },
  'api.bybitgeorgia.ge': { wsPublic: 'stream.bybitgeorgia.ge', wsPrivate: 'stream.bybitgeorgia.ge' },
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The stream bases for a REST override: Bybit's table, or the same host on loopback (the sandbox). */
function streamBases(rest: string, what: { wsPublic: boolean; wsPrivate: boolean }): { wsPublic: string; wsPrivate: string } {
  const url = new URL(rest);
  const known = STREAM_HOSTS[url.hostname];
  if (known !== undefined) return { wsPublic: `wss://${known.wsPublic}`, wsPrivate: `wss://${known.wsPrivate}` };
  // The sandbox serves REST and both streams on one port (DESIGN section 4).
  if (LOOPBACK.has(url.hostname)) {
    const same = rest.replace(/^http/, 'ws');
    return { wsPublic: same, wsPrivate: same };
  }
  const missing = [what.wsPublic ? 'exchange.wsPublicUrl' : null, what.wsPrivate ? 'exchange.wsPrivateUrl' : null].filter((x) => x !== null).join(' and ');
  throw new BybitEndpointError(
    `exchange.restUrl "${rest}" is not a host whose WebSocket address Bybit publishes, so the streams cannot follow it: set ${missing} too (e.g. wss://stream.bybit.com/v5/public/linear and wss://stream.bybit.com/v5/private, or your site's stream host)`,
  );
}

/**
 * The URLs for a network, with overrides. A REST override alone moves the streams to the stream host
 * Bybit names for that REST host (`api.bybit.kz` → `stream.bybit.kz`), or to the same loopback host
 * (the sandbox); for any other host the stream URLs must be given. `restOnly`: the caller opens no
 * stream (a REST look-up), so the streams are not worked out.
 */
export function bybitUrls(network: BybitNetwork, overrides: BybitUrlOverrides & { readonly restOnly?: boolean } = {}): BybitUrls {
  const base = KNOWN[network];
  const rest = overrides.restUrl ? checkUrl('exchange.restUrl', overrides.restUrl, ['http:', 'https:']) : base.rest;
  const needPublic = !overrides.wsPublicUrl;
  const needPrivate = !overrides.wsPrivateUrl;
  const ws = overrides.restUrl && !overrides.restOnly && (needPublic || needPrivate) ? streamBases(rest, { wsPublic: needPublic, wsPrivate: needPrivate }) : null;
  const wsPublic = overrides.wsPublicUrl ? checkUrl('exchange.wsPublicUrl', overrides.wsPublicUrl, ['ws:', 'wss:']) : ws !== null ? `${ws.wsPublic}/v5/public/linear` : base.wsPublic;
  const wsPrivate = overrides.wsPrivateUrl ? checkUrl('exchange.wsPrivateUrl', overrides.wsPrivateUrl, ['ws:', 'wss:']) : ws !== null ? `${ws.wsPrivate}/v5/private` : base.wsPrivate;
  return { rest, wsPublic, wsPrivate };
}
