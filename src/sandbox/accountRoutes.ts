/**
 * The signed account and position endpoints (reference section 3, plus what ccxt calls for account
 * detection, section 5): the key's permissions, account info, coin info, wallet, fee rates, the
 * position list, leverage and the position's take profit / stop loss / trailing stop.
 */
import type { Simulator } from '../sim/simulator.js';
import type { SimPosition } from '../sim/simTypes.js';
import { type AccountSettings, positionIdxAccepted } from './accountSettings.js';
import { MISSING, ParamError, clearable, decimal, instrumentOf, linear, need, page, str } from './restParams.js';
import { type RouteTable, unwrap } from './routeTable.js';
import { type WalletTotals, type Wire, wirePosition, wireWallet } from './wire.js';

export interface AccountRouteContext {
  readonly sim: Simulator;
  readonly nowMs: () => number;
  readonly makerFeeRate: string;
  readonly takerFeeRate: string;
  readonly account: AccountSettings;
}

export function accountRoutes(routes: RouteTable, ctx: AccountRouteContext): void {
  const sim = ctx.sim;

  routes.get('/v5/user/query-api', true, (_p, key) => {
    const k = key!;
    const ips = k.ips && k.ips.length > 0 ? [...k.ips] : ['*'];
    const now = ctx.nowMs();
    return {
      id: '1',
      note: k.note ?? 'sandbox',
      apiKey: k.apiKey,
      readOnly: k.readOnly ? 1 : 0,
      secret: '',
      permissions: {
        ContractTrade: k.readOnly ? [] : k.positionPermission === false ? ['Order'] : ['Order', 'Position'],
        Spot: k.readOnly ? [] : ['SpotTrade'],
        Wallet: k.withdraw ? ['AccountTransfer', 'SubMemberTransfer', 'Withdraw'] : ['AccountTransfer', 'SubMemberTransfer'],
        Options: [],
        Derivatives: k.readOnly ? [] : ['DerivativesTrade'],
        CopyTrading: [],
        BlockTrade: [],
        Exchange: [],
        NFT: [],
        Affiliate: [],
        Earn: [],
      },
      ips,
      type: 1,
      // Keys bound to IPs do not expire on Bybit; unbound ones last 90 days.
      deadlineDay: ips[0] === '*' ? 90 : -1,
      expiredAt: ips[0] === '*' ? new Date(now + 90 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z') : '',
      createdAt: new Date(now - 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      unified: 0,
      uta: 1,
      userID: 100001,
      inviterID: 0,
      vipLevel: 'No VIP',
      mktMakerLevel: '0',
      affiliateID: 0,
      rsaPublicKey: '',
      isMaster: true,
      parentUid: '0',
      kycLevel: 'LEVEL_DEFAULT',
      kycRegion: '',
    };
  });

  routes.get('/v5/account/info', true, () => ({
    marginMode: ctx.account.marginMode,
    updatedTime: String(ctx.nowMs() - 86_400_000),
    unifiedMarginStatus: 5,
    dcpStatus: 'OFF',
    timeWindow: 10,
    smpGroup: 0,
    isMasterTrader: false,
    spotHedgingStatus: 'OFF',
  }));

  routes.get('/v5/asset/coin/query-info', true, () => ({
    rows: [
      {
        name: 'USDT',
        coin: 'USDT',
        remainAmount: '5000000',
        chains: [
          {
            chainType: 'ETH',
            confirmation: '6',
            withdrawFee: '4',
            depositMin: '0',
            withdrawMin: '10',
            chain: 'ETH',
            chainDeposit: '1',
            chainWithdraw: '1',
            minAccuracy: '4',
            withdrawPercentageFee: '0',
            contractAddress: '',
          },
        ],
      },
    ],
  }));

  routes.get('/v5/account/wallet-balance', true, (p) => {
    const type = need(p, 'accountType');
    if (type !== 'UNIFIED') throw new ParamError('accountType only support UNIFIED.');
    const coin = str(p, 'coin');
    const w = wireWallet(sim.wallet(), walletTotals(ctx.account), ctx.account.collateral);
    if (coin !== undefined) w['coin'] = (w['coin'] as Wire[]).filter((c) => coin.split(',').includes(String(c['coin'])));
    return { list: [w] };
  });

  routes.get('/v5/account/fee-rate', true, (p) => {
    const category = str(p, 'category') ?? 'linear';
    if (category !== 'linear') throw new ParamError('Illegal category');
    const symbol = str(p, 'symbol');
    const symbols = symbol !== undefined ? [symbol] : sim.symbols();
    return { category, list: symbols.map((s) => ({ symbol: s, takerFeeRate: ctx.takerFeeRate, makerFeeRate: ctx.makerFeeRate })) };
  });

  routes.get('/v5/position/list', true, (p) => {
    linear(p);
    const symbol = str(p, 'symbol');
    const settle = str(p, 'settleCoin');
    const base = str(p, 'baseCoin');
    if (symbol === undefined && settle === undefined && base === undefined) throw new ParamError(MISSING);
    let list = sim.positions();
    if (symbol !== undefined) {
      if (!sim.hasSymbol(symbol)) throw new ParamError('params error: symbol invalid');
      list = list.filter((x) => x.symbol === symbol);
    } else {
      // By coin, Bybit lists only open positions.
      list = list.filter((x) => x.side !== null && (settle === undefined || sim.instrument(x.symbol).quoteCoin === settle) && (base === undefined || sim.instrument(x.symbol).baseCoin === base));
    }
    const pg = page(list, p, 20, 200);
    const rows = (x: SimPosition): Record<string, unknown>[] => {
      if (ctx.account.positionMode === 'oneWay') return [wirePosition(x, sim.instrument(x.symbol), 'rest')];
      // Hedge mode: a Sell-side row (2) and a Buy-side row (1) per symbol, the flat one a real row.
      const flat: SimPosition = { ...x, side: null };
      return [wirePosition(x.side === 'sell' ? x : flat, sim.instrument(x.symbol), 'rest', 2), wirePosition(x.side === 'buy' ? x : flat, sim.instrument(x.symbol), 'rest', 1)];
    };
    return { category: 'linear', list: pg.list.flatMap(rows), nextPageCursor: pg.nextPageCursor };
  });

  routes.post('/v5/position/set-leverage', (p) => {
    linear(p);
    const inst = instrumentOf(p, sim);
    const buy = decimal(p, 'buyLeverage');
    const sell = decimal(p, 'sellLeverage');
    if (!buy || !sell) throw new ParamError(MISSING);
    return unwrap(sim.setLeverage(inst.symbol, buy, sell), () => ({}));
  });

  routes.post('/v5/position/trading-stop', (p) => {
    linear(p);
    const inst = instrumentOf(p, sim);
    const mode = str(p, 'tpslMode');
    if (mode !== 'Full' && mode !== 'Partial') throw new ParamError('params error: tpslMode invalid');
    const idx = str(p, 'positionIdx');
    if (idx === undefined) throw new ParamError('params error: positionIdx invalid');
    if (!positionIdxAccepted(ctx.account.positionMode, idx)) throw new ParamError('position idx not match position mode', 10001);
    return unwrap(
      sim.setTradingStop({
        symbol: inst.symbol,
        takeProfit: clearable(p, 'takeProfit'),
        stopLoss: clearable(p, 'stopLoss'),
        trailingStop: clearable(p, 'trailingStop'),
        activePrice: clearable(p, 'activePrice'),
      }),
      () => ({}),
    );
  });
}

/** Which account-wide wallet totals the account fills in (./accountSettings.ts). */
export function walletTotals(account: AccountSettings): WalletTotals {
  return account.marginMode === 'ISOLATED_MARGIN' ? 'none' : account.emptyAvailableTotal ? 'noAvailable' : 'all';
}
