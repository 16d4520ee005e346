/**
 * Where the adapter connects: Bybit's REST and WebSocket addresses per network (reference/bybit-v5.md
 * section 2 table), or any base URL (the sandbox, a proxy). Demo trading has its own REST and private
 * stream; its public data comes from mainnet.
 */
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

export class BybitEndpointError extends Error {
  override name = 'BybitEndpointError';
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
 * The URLs for a network, with overrides. A REST override alone (the sandbox serves REST and both
 * streams on one port, DESIGN section 4) also moves the streams to `ws(s)://host/v5/...`.
 */
export function bybitUrls(network: BybitNetwork, overrides: BybitUrlOverrides = {}): BybitUrls {
  const base = KNOWN[network];
  const rest = overrides.restUrl ? checkUrl('exchange.restUrl', overrides.restUrl, ['http:', 'https:']) : base.rest;
  const wsBase = overrides.restUrl ? rest.replace(/^http/, 'ws') : null;
  const wsPublic = overrides.wsPublicUrl
    ? checkUrl('exchange.wsPublicUrl', overrides.wsPublicUrl, ['ws:', 'wss:'])
    : wsBase !== null
      ? `${wsBase}/v5/public/linear`
      : base.wsPublic;
  const wsPrivate = overrides.wsPrivateUrl
    ? checkUrl('exchange.wsPrivateUrl', overrides.wsPrivateUrl, ['ws:', 'wss:'])
    : wsBase !== null
      ? `${wsBase}/v5/private`
      : base.wsPrivate;
  return { rest, wsPublic, wsPrivate };
}
