/**
 * Where the streams go when only `exchange.restUrl` is set (issue 20 item 11): the stream host Bybit
 * names for that REST host (docs v5/guide and v5/ws/connect), the same host on loopback (the sandbox),
 * and for any other host a configuration error that asks for the stream URLs, never the REST host.
 */
import { describe, expect, it } from 'vitest';
import { BybitEndpointError, bybitUrls } from '../../../src/exchange/bybit/bybitUrls.js';

describe('bybitUrls', () => {
  it('follows Bybit’s table for regional and alternative REST hosts', () => {
    const table: [string, string, string][] = [
      ['https://api.bybit.kz', 'wss://stream.bybit.kz/v5/public/linear', 'wss://stream.bybit.kz/v5/private'],
      ['https://api.bybit-tr.com', 'wss://stream.bybit-tr.com/v5/public/linear', 'wss://stream.bybit-tr.com/v5/private'],
      ['https://api.bybitgeorgia.ge', 'wss://stream.bybitgeorgia.ge/v5/public/linear', 'wss://stream.bybitgeorgia.ge/v5/private'],
      ['https://api.bytick.com', 'wss://stream.bybit.com/v5/public/linear', 'wss://stream.bybit.com/v5/private'],
      ['https://api-testnet.bybit.com', 'wss://stream-testnet.bybit.com/v5/public/linear', 'wss://stream-testnet.bybit.com/v5/private'],
      ['https://api-demo.bybit.com', 'wss://stream.bybit.com/v5/public/linear', 'wss://stream-demo.bybit.com/v5/private'],
    ];
    for (const [rest, wsPublic, wsPrivate] of table) expect(bybitUrls('mainnet', { restUrl: rest }), rest).toEqual({ rest, wsPublic, wsPrivate });
  });

  it('keeps the sandbox on one loopback port', () => {
    expect(bybitUrls('testnet', { restUrl: 'http://127.0.0.1:4711' })).toEqual({ rest: 'http://127.0.0.1:4711', wsPublic: 'ws://127.0.0.1:4711/v5/public/linear', wsPrivate: 'ws://127.0.0.1:4711/v5/private' });
  });

  it('never points the streams at a REST host Bybit names no stream host for: it asks for both stream URLs', () => {
    for (const rest of ['https://api.bybit.nl', 'https://my-proxy.example.com']) {
      let err: unknown = null;
      try {
        bybitUrls('mainnet', { restUrl: rest });
      } catch (e) {
        err = e;
      }
      expect(err, rest).toBeInstanceOf(BybitEndpointError);
      expect((err as Error).message).toContain('set exchange.wsPublicUrl and exchange.wsPrivateUrl too');
      expect((err as BybitEndpointError).exitCode, 'a configuration error').toBe(2);
    }
    expect(() => bybitUrls('mainnet', { restUrl: 'https://api.bybit.nl', wsPublicUrl: 'wss://stream.bybit.com/v5/public/linear' })).toThrow(/set exchange.wsPrivateUrl too/);
    expect(bybitUrls('mainnet', { restUrl: 'https://api.bybit.nl', wsPublicUrl: 'wss://stream.bybit.com/v5/public/linear', wsPrivateUrl: 'wss://stream.bybit.com/v5/private' }).wsPrivate).toBe('wss://stream.bybit.com/v5/private');
  });

  it('a REST-only look-up (init’s symbol minimum) needs no stream host', () => {
    expect(bybitUrls('mainnet', { restUrl: 'https://my-proxy.example.com', restOnly: true }).rest).toBe('https://my-proxy.example.com');
  });
});
