/**
 * Order-book imbalance (DESIGN section 5b): (Σ bid qty − Σ ask qty)/(Σ bid qty + Σ ask qty) over the
 * top `levels` (5) levels of each side, −1..1; 0 for an empty book. Live only: a backtest has no
 * book, and its imbalance is 0.
 */
export interface BookLevel {
  readonly price: number;
  readonly qty: number;
}

export function orderBookImbalance(bids: readonly BookLevel[], asks: readonly BookLevel[], levels = 5): number {
  let bid = 0;
  let ask = 0;
  for (let i = 0; i < levels && i < bids.length; i++) bid += bids[i]!.qty;
  for (let i = 0; i < levels && i < asks.length; i++) ask += asks[i]!.qty;
  const total = bid + ask;
  return total > 0 ? (bid - ask) / total : 0;
}
