/**
 * One symbol's task queue: the Engine handles events for a symbol strictly one after another, so
 * a fill arriving while an entry is being placed never races it. A task that fails is reported
 * and the next one still runs.
 */
export type Task = () => Promise<void> | void;

export class SymbolQueue {
  #tail: Promise<void> = Promise.resolve();
  /** Tasks enqueued and not finished yet (0 = the queue is idle). */
  #pending = 0;
  /** A task is running inline (runOrEnqueue), and the resolver of the promise tasks queued meanwhile wait for. */
  #inline = false;
  #gate: (() => void) | null = null;
  readonly #failed: (e: unknown) => void;

  constructor(failed: (e: unknown) => void) {
    this.#failed = failed;
  }

  /** Settles when every task queued so far is done (a later task replaces it). */
  get tail(): Promise<void> {
    return this.#tail;
  }

  get pending(): number {
    return this.#pending;
  }

  enqueue(task: Task): void {
    // Behind a task running inline, which has no promise in the queue until something must wait for it.
    if (this.#inline && this.#gate === null) this.#openGate();
    this.#pending++;
    this.#tail = this.#tail
      .then(task)
      .catch((e: unknown) => this.#failed(e))
      .finally(() => {
        this.#pending--;
      });
  }

  /**
   * Like enqueue, but when nothing is queued for the symbol the task starts at once, in the
   * caller's turn, instead of one microtask later: the same order of events, and a task that has
   * nothing to wait for (a candle with no decision, the common case) finishes before this returns.
   * Used for closed candles only, which exchanges push from a quiet point (never from inside a
   * simulator call), so starting the handler there cannot re-enter anything.
   */
  runOrEnqueue(task: Task): void {
    this.runOrEnqueueWith(task, undefined, undefined);
  }

  /**
   * runOrEnqueue for `run(a, b)`, without a closure unless it has to wait in the queue: a
   * backtest hands over every closed candle this way, and a closure per candle was young garbage.
   */
  runOrEnqueueWith<A, B>(run: (a: A, b: B) => Promise<void> | void, a: A, b: B): void {
    // The closures live in #enqueueWith and #settle: a function that makes a closure allocates its
    // context at every call, taken branch or not (about 100 bytes a candle here).
    if (this.#pending > 0) return this.#enqueueWith(run, a, b);
    this.#pending++;
    // Events enqueued while this task runs must wait for it, as they would behind a queued task:
    // enqueue puts a gate in the queue for them. A task that finishes here (most candles) and
    // that nothing waited for costs no promise at all.
    this.#inline = true;
    let result: Promise<void> | void;
    try {
      result = run(a, b);
    } catch (e) {
      this.#failed(e);
      result = undefined;
    }
    this.#inline = false;
    if (this.#gate === null && result !== undefined) this.#openGate();
    const finish = this.#gate;
    this.#gate = null;
    if (result === undefined) {
      this.#pending--;
      finish?.();
      return;
    }
    this.#settle(result, finish!);
  }

  /**
   * The promise the queue waits on behind a task running inline, and its resolver in #gate. A method of
   * its own: the closure it makes would give runOrEnqueueWith a context at every call (issue 18).
   */
  #openGate(): void {
    this.#tail = new Promise<void>((resolve) => (this.#gate = resolve));
  }

  #enqueueWith<A, B>(run: (a: A, b: B) => Promise<void> | void, a: A, b: B): void {
    this.enqueue(() => run(a, b));
  }

  /** The end of a task started inline that returned a promise: the queue moves on when it settles. */
  #settle(result: Promise<void>, finish: () => void): void {
    result
      .catch((e: unknown) => this.#failed(e))
      .finally(() => {
        this.#pending--;
        finish();
      });
  }

  enqueueAndWait(task: () => Promise<void>): Promise<void> {
    this.enqueue(task);
    return this.#tail;
  }
}
