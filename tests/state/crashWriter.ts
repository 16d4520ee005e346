/**
 * The writer process of the SIGKILL crash test (tests/state/crash.test.ts), bundled by the test with
 * esbuild and run with node. Usage: `node crashWriter.mjs STATE_DIR`.
 *
 * It opens the store (taking over the lock a killed predecessor left), then loops as fast as the
 * disk allows: update the state (counter n), flush, print `S n`; journal two records concurrently,
 * print `J n`. A line is printed only after what it names is durable, so every line the parent
 * read is a promise the files must keep after any kill. stdout is a pipe, and pipe writes are
 * synchronous in Node on Linux, so a printed line was handed to the kernel before the next step.
 */
import { writeSync } from 'node:fs';
import { Journal } from '../../src/state/journal.js';
import { symbolDraft } from '../../src/domain/persistedState.js';
import { StateStore } from '../../src/state/stateStore.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: crashWriter STATE_DIR');

const store = await StateStore.open(dir, { backupEveryMs: 20, backupKeep: 3 });
const journal = new Journal(dir);
let n = Number(store.state.symbols.BTCUSDT?.position?.size ?? '0');
writeSync(1, `R ${n} ${journal.repairs.length}\n`);

for (;;) {
  n++;
  const seq = n;
  // A few updates per step: they coalesce into one write.
  for (let k = 0; k < 3; k++) {
    store.update((d) => {
      const s = symbolDraft(d, 'BTCUSDT');
      s.position = { side: 'long', size: String(seq), entryPrice: '64000.5', openedMs: Date.now(), entryOrderLinkId: `w-${seq}`, stop: null, targets: [] };
      s.openOrders = {
        [`w-${seq}`]: { orderLinkId: `w-${seq}`, orderId: null, side: 'buy', type: 'limit', purpose: 'entry', status: 'pending', price: '64000.5', qty: '0.001', filledQty: '0', reduceOnly: false, createdMs: Date.now() },
      };
      d.daily = { dayStartMs: 0, realisedPnl: `${seq}.${k}`, botEquityAtDayStart: '1000' };
    });
  }
  await store.flush();
  writeSync(1, `S ${seq}\n`);
  // Like the engine: the state naming the order is durable before the order is journaled as sent.
  await Promise.all(
    (['a', 'b'] as const).map((tag) =>
      journal.append({ type: 'order', ts: Date.now(), symbol: 'BTCUSDT', orderLinkId: `w-${seq}-${tag}`, side: 'buy', orderType: 'limit', purpose: 'entry', qty: '0.001', price: '64000.5', reduceOnly: false, reason: `crash test ${'x'.repeat(seq % 200)}` }),
    ),
  );
  writeSync(1, `J ${seq}\n`);
}
