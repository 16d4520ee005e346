import { describe, expect, it } from 'vitest';
import { SymbolQueue } from '../../src/engine/symbolQueue.js';

function queue(): { q: SymbolQueue; failures: string[] } {
  const failures: string[] = [];
  return { q: new SymbolQueue((e) => failures.push(e instanceof Error ? e.message : String(e))), failures };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

describe('SymbolQueue', () => {
  it('runs tasks one after another, in the order given, even when they wait', async () => {
    const { q } = queue();
    const log: string[] = [];
    q.enqueue(async () => {
      log.push('a start');
      await tick();
      log.push('a end');
    });
    q.enqueue(() => {
      log.push('b');
    });
    expect(q.pending).toBe(2);
    await q.enqueueAndWait(async () => {
      log.push('c');
    });
    expect(log).toEqual(['a start', 'a end', 'b', 'c']);
    expect(q.pending).toBe(0);
  });

  it('runOrEnqueue finishes a task with nothing to wait for before it returns (a candle with no decision)', () => {
    const { q } = queue();
    const tail = q.tail;
    let ran = false;
    q.runOrEnqueue(() => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(q.pending).toBe(0);
    expect(q.tail, 'no promise was needed').toBe(tail);
  });

  it('runOrEnqueue waits its turn behind queued work', async () => {
    const { q } = queue();
    const log: string[] = [];
    q.enqueue(async () => {
      await tick();
      log.push('queued');
    });
    q.runOrEnqueue(() => {
      log.push('candle');
    });
    expect(log, 'not run inline while something is queued').toEqual([]);
    await q.enqueueAndWait(async () => {});
    expect(log).toEqual(['queued', 'candle']);
  });

  it('an event arriving while an inline task still waits on the exchange is handled after it', async () => {
    const { q } = queue();
    const log: string[] = [];
    let release!: () => void;
    q.runOrEnqueue(async () => {
      // An event pushed from inside the task (as a simulator pushes a fill during an order call).
      q.enqueue(() => {
        log.push('fill');
      });
      await new Promise<void>((resolve) => (release = resolve));
      log.push('entry placed');
    });
    expect(q.pending).toBe(2);
    await tick();
    expect(log).toEqual([]);
    release();
    await q.enqueueAndWait(async () => {});
    expect(log).toEqual(['entry placed', 'fill']);
  });

  it('runOrEnqueueWith hands its arguments over inline and after waiting its turn; a task that fails later is reported', async () => {
    const { q, failures } = queue();
    const seen: string[] = [];
    const run = (a: string, b: number): void => {
      seen.push(`${a}${b}`);
    };
    q.runOrEnqueueWith(run, 'x', 1);
    expect(seen, 'inline').toEqual(['x1']);
    q.enqueue(async () => {
      await tick();
    });
    q.runOrEnqueueWith(run, 'y', 2);
    expect(seen, 'waits behind the queued task').toEqual(['x1']);
    await q.enqueueAndWait(async () => {});
    expect(seen).toEqual(['x1', 'y2']);
    q.runOrEnqueueWith(
      async (a: string, b: number) => {
        await tick();
        throw new Error(`late ${a}${b}`);
      },
      'z',
      3,
    );
    expect(q.pending, 'started inline, still running').toBe(1);
    await q.enqueueAndWait(async () => {});
    expect(failures).toEqual(['late z3']);
    expect(q.pending).toBe(0);
  });

  it('a failing task is reported and the next one still runs', async () => {
    const { q, failures } = queue();
    let after = false;
    q.enqueue(async () => {
      throw new Error('exchange timeout');
    });
    q.runOrEnqueue(() => {
      after = true;
    });
    await q.enqueueAndWait(async () => {});
    expect(failures).toEqual(['exchange timeout']);
    expect(after).toBe(true);

    q.runOrEnqueue(() => {
      throw new Error('strategy bug');
    });
    expect(failures.at(-1), 'a synchronous throw inline too').toBe('strategy bug');
    expect(q.pending).toBe(0);
  });
});
