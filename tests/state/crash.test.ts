/**
 * Issue 6, "Done when": a writer process is killed with SIGKILL at random moments, over and over,
 * and after every kill the state parses and validates and every acknowledged record is present.
 * Several state directories run side by side; each one sees a sequence of writers, so every run
 * after the first also exercises stale-lock takeover, torn-journal repair and backup rotation.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleScript } from '../helpers/build.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups } from '../../src/state/backups.js';
import { readJournal } from '../../src/state/journal.js';
import { parseStateText } from '../../src/state/parseStateText.js';
import { readStateFile } from '../../src/state/stateFile.js';

const LANES = 6;
const RUNS_PER_LANE = 84; // 504 kills in all

let work: string;
let bundle: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pocket-crash-'));
  bundle = await bundleScript(new URL('./crashWriter.ts', import.meta.url));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface RunOutcome {
  readonly stateAcks: number[];
  readonly journalAcks: number[];
  readonly repairs: number;
}

/** One writer, killed at a random moment: within 60 ms of its start (20 %), or 0–25 ms after its first acknowledgement. */
function runOnce(dir: string): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    const kill = (): void => {
      if (!armed) {
        armed = true;
        child.kill('SIGKILL');
      }
    };
    if (Math.random() < 0.2) setTimeout(kill, Math.random() * 60);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // Killing after the first acknowledgement guarantees each such run has promises to check.
      if (!armed && out.includes('\nS ')) setTimeout(kill, Math.random() * 25);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`writer exited by itself (code ${code}): ${err}`));
        return;
      }
      const lines = out.split('\n').filter((l) => l.length > 0);
      const nums = (tag: string): number[] => lines.filter((l) => l.startsWith(`${tag} `)).map((l) => Number(l.split(' ')[1]));
      const ready = lines.find((l) => l.startsWith('R '));
      resolve({ stateAcks: nums('S'), journalAcks: nums('J'), repairs: ready === undefined ? 0 : Number(ready.split(' ')[2]) });
    });
  });
}

interface LaneSummary {
  runs: number;
  runsWithAcks: number;
  acks: number;
  repairs: number;
  tornSeen: number;
}

async function lane(dir: string): Promise<LaneSummary> {
  let maxStateAck = 0;
  const journalAcked = new Set<string>();
  const summary: LaneSummary = { runs: 0, runsWithAcks: 0, acks: 0, repairs: 0, tornSeen: 0 };
  for (let run = 0; run < RUNS_PER_LANE; run++) {
    const outcome = await runOnce(dir);
    summary.runs++;
    summary.acks += outcome.stateAcks.length + outcome.journalAcks.length;
    if (outcome.stateAcks.length > 0) summary.runsWithAcks++;
    summary.repairs += outcome.repairs;
    for (const n of outcome.stateAcks) maxStateAck = Math.max(maxStateAck, n);
    for (const n of outcome.journalAcks) for (const tag of ['a', 'b']) journalAcked.add(`w-${n}-${tag}`);

    // The state always parses and validates (readStateFile throws StateFileError otherwise).
    const loaded = await readStateFile(dir);
    if (loaded === null) {
      expect(maxStateAck, `run ${run}: no state file although a write was acknowledged`).toBe(0);
      continue;
    }
    const counter = Number(loaded.state.symbols.BTCUSDT?.position?.size ?? '0');
    expect(counter, `run ${run}: state lost an acknowledged update`).toBeGreaterThanOrEqual(maxStateAck);

    // Every acknowledged journal record is present; damage is at most one torn last line.
    const { records, problems } = await readJournal(dir);
    expect(problems.filter((p) => p.kind !== 'torn'), `run ${run}: journal damaged`).toEqual([]);
    summary.tornSeen += problems.length;
    const ids = records.map((r) => (r.type === 'order' ? r.orderLinkId : ''));
    const present = new Set(ids);
    expect([...journalAcked].filter((id) => !present.has(id)), `run ${run}: acknowledged journal records missing`).toEqual([]);
    expect(present.size, `run ${run}: a journal record was written twice`).toBe(ids.length);

    // Every backup is a valid state.
    const badBackups = (await listBackups(dir)).filter((b) => !parseStateText(readFileSync(b.file, 'utf8')).ok);
    expect(badBackups, `run ${run}: invalid backups`).toEqual([]);
  }
  return summary;
}

describe('state survives SIGKILL', () => {
  it(`keeps every acknowledged write through ${LANES * RUNS_PER_LANE} random kills`, { timeout: 180_000 }, async () => {
    const dirs = Array.from({ length: LANES }, (_, i) => join(work, `lane-${i}`));
    const summaries = await Promise.all(dirs.map((d) => lane(d)));
    const total = summaries.reduce(
      (t, s) => ({ runs: t.runs + s.runs, runsWithAcks: t.runsWithAcks + s.runsWithAcks, acks: t.acks + s.acks, repairs: t.repairs + s.repairs, tornSeen: t.tornSeen + s.tornSeen }),
      { runs: 0, runsWithAcks: 0, acks: 0, repairs: 0, tornSeen: 0 },
    );
    expect(total.runs).toBeGreaterThanOrEqual(500);
    // The kills must land while the writer is busy, or the test proves nothing.
    expect(total.runsWithAcks, 'most writers were killed in the middle of their work').toBeGreaterThanOrEqual(total.runs / 2);
    console.info(
      `crash test: ${total.runs} kills (${total.runsWithAcks} mid-loop), ${total.acks} acknowledged writes checked, ${total.tornSeen} torn journal tails seen, ${total.repairs} repaired on restart`,
    );
  });
});
