import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { WireExecution } from '../../../src/exchange/bybit/bybitWire.js';
import { fillFromWire } from '../../../src/exchange/bybit/wireToDomain.js';

// An execution push as Bybit sends it on the private `execution` topic (field names and string
// numbers per bybit-exchange/docs v5/websocket/private/execution), here for a triggered stop loss.
const STOP_EXECUTION = {
  category: 'linear', symbol: 'BTCUSDT', execFee: '0.0584948', execId: '7e2ae69c-4edf-5800-a352-893d52b446aa', execPrice: '106480.0',
  execQty: '0.001', execType: 'Trade', execValue: '106.48', isMaker: false, feeRate: '0.00055', orderId: 'f6e324ff-99c2-4e89-9739-3086e47f9381',
  orderLinkId: '', orderPrice: '101156.0', orderQty: '0.001', orderType: 'Market', stopOrderType: 'StopLoss', side: 'Sell', execTime: '1748538600000',
  closedSize: '0.001', seq: 4688002127,
};

describe('fillFromWire', () => {
  it('maps strings to Decimal and says when the exchange itself closed the position (stop loss)', () => {
    const fill = fillFromWire(v.parse(WireExecution, STOP_EXECUTION));
    expect([fill.side, fill.price.toFixed(), fill.qty.toFixed(), fill.fee.toFixed(), fill.ts, fill.trigger]).toEqual(['sell', '106480', '0.001', '0.0584948', 1748538600000, 'stopLoss']);
  });
  it('leaves trigger unset for the bot\'s own orders', () => {
    const fill = fillFromWire(v.parse(WireExecution, { ...STOP_EXECUTION, stopOrderType: 'UNKNOWN', orderLinkId: 'ps-BTCUSDT-T1-abc' }));
    expect(fill.trigger).toBeUndefined();
    expect(fillFromWire(v.parse(WireExecution, { ...STOP_EXECUTION, stopOrderType: 'TrailingStop' })).trigger).toBe('trailingStop');
  });
});
