/**
 * The crash guarantee of a durable write (src/state/durableFile.ts), step by step: the new bytes are
 * on the storage (fsync finished) before the rename, the rename is made durable by the directory's
 * fsync, and the write resolves only after that. A failing fsync leaves the old file as it was.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileDurable } from '../../src/state/durableFile.js';
import { recordFsCalls, type FsRecorder } from '../helpers/fsCalls.js';

let dir: string;
let fs: FsRecorder;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-durable-'));
  fs = recordFsCalls();
});
afterEach(() => {
  fs.restore();
  rmSync(dir, { recursive: true, force: true });
});

describe('writeFileDurable', () => {
  it('fsyncs the new bytes before the rename and the directory after it, and resolves only then', async () => {
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old\n');
    let resolvedAt = -1;
    await writeFileDurable(file, 'new contents\n').then(() => (resolvedAt = fs.calls.length));

    expect(readFileSync(file, 'utf8')).toBe('new contents\n');
    const temp = fs.calls.find((c) => c.op === 'open')!.path;
    expect(temp).toMatch(/\.state\.json\.\d+\.\d+\.tmp$/);
    const steps = fs.calls.map((c) => `${c.op} ${c.path === temp ? 'temp' : c.path === dir ? 'dir' : c.path}${c.to === file ? ' -> state.json' : ''}`);
    expect(steps).toEqual(['open temp', 'write temp', 'fsync temp', 'fsynced temp', 'close temp', 'rename temp -> state.json', 'open dir', 'fsync dir', 'fsynced dir', 'close dir']);
    expect(resolvedAt, 'resolved after the directory fsync finished').toBe(fs.calls.length);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('a failing fsync leaves the old contents and no temporary file, and rejects with the storage error', async () => {
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old\n');
    fs.failFsync(/\.tmp$/, 'EIO');
    await expect(writeFileDurable(file, 'new\n')).rejects.toMatchObject({ code: 'EIO' });
    expect(readFileSync(file, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(fs.calls.some((c) => c.op === 'rename'), 'nothing was renamed over the old file').toBe(false);
  });

  it('a failing directory fsync rejects: the write is not acknowledged as durable', async () => {
    const file = join(dir, 'state.json');
    fs.failFsync(new RegExp(`^${dir}$`), 'EIO');
    await expect(writeFileDurable(file, 'new\n')).rejects.toMatchObject({ code: 'EIO' });
  });
});
