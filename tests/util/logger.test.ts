import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { colourEnabled, createLogger } from '../../src/util/logger.js';
import { clearSecretsForTest, registerSecret } from '../../src/util/redact.js';

function capture(isTTY: boolean) {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _e, done) {
        text += chunk.toString();
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => text };
}

afterEach(() => clearSecretsForTest());

describe('logger', () => {
  it('never prints a registered secret, in the message or in fields', () => {
    registerSecret('s3cr3tValueXYZ123');
    const out = capture(false);
    const log = createLogger({ stream: out.stream, env: {} });
    log.error('bybit said no for key s3cr3tValueXYZ123', { url: 'https://x/?sign=s3cr3tValueXYZ123', err: new Error('s3cr3tValueXYZ123 leaked') });
    expect(out.text()).not.toContain('s3cr3tValueXYZ123');
    expect(out.text()).toContain('[REDACTED]');
  });

  it('redacts credential-shaped text that was never registered', () => {
    const out = capture(false);
    createLogger({ stream: out.stream, env: {} }).warn('request {"apiSecret":"abcdefghijkl"} and https://api.telegram.org/bot123456:ABCdefGHIjklMNOpqrSTUvwxYZ/sendMessage');
    expect(out.text()).not.toContain('abcdefghijkl');
    expect(out.text()).not.toContain('ABCdefGHIjklMNOpqrSTUvwxYZ');
  });

  it('honours levels', () => {
    const out = capture(false);
    const log = createLogger({ stream: out.stream, env: {}, level: 'warn' });
    log.info('quiet');
    log.warn('loud');
    expect(out.text()).not.toContain('quiet');
    expect(out.text()).toMatch(/WARN  loud/);
  });

  it('colours a terminal, not a pipe, and follows NO_COLOR and FORCE_COLOR', () => {
    expect(colourEnabled({}, { isTTY: true })).toBe(true);
    expect(colourEnabled({}, { isTTY: false })).toBe(false);
    expect(colourEnabled({ NO_COLOR: '1' }, { isTTY: true })).toBe(false);
    expect(colourEnabled({ FORCE_COLOR: '1' }, { isTTY: false })).toBe(true);
    expect(colourEnabled({ FORCE_COLOR: '0' }, { isTTY: true })).toBe(false);
    const tty = capture(true);
    createLogger({ stream: tty.stream, env: {} }).info('hello');
    expect(tty.text()).toMatch(/\x1b\[/);
    const plain = capture(true);
    createLogger({ stream: plain.stream, env: { NO_COLOR: '1' } }).info('hello');
    expect(plain.text()).not.toMatch(/\x1b\[/);
  });

  it('writes a log file that rotates by size and keeps a bounded number of files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocket-log-'));
    try {
      const path = join(dir, 'bot.log');
      const log = createLogger({ stream: capture(false).stream, env: {}, file: { path, maxBytes: 2000, keep: 2 } });
      for (let i = 0; i < 200; i++) log.info(`line ${i} ${'x'.repeat(40)}`);
      expect(readFileSync(path, 'utf8').length).toBeLessThanOrEqual(2000);
      expect(existsSync(`${path}.1`)).toBe(true);
      expect(existsSync(`${path}.2`)).toBe(true);
      expect(existsSync(`${path}.3`), 'only `keep` rotated files').toBe(false);
      expect(readFileSync(path, 'utf8')).toContain('line 199');
      expect(readFileSync(path, 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  line/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('redaction', () => {
  it('catches a secret percent-encoded in a URL, and a longer secret containing a shorter one', async () => {
    const { redact } = await import('../../src/util/redact.js');
    registerSecret('abc/def+ghi=');
    registerSecret('token123456');
    registerSecret('token123456789');
    expect(redact('u=abc%2Fdef%2Bghi%3D t=token123456789')).toBe('u=[REDACTED] t=[REDACTED]');
  });
});

describe('logger on a storage that refuses writes (issue 22, through the POCKET_TEST_WRITE_FAULT seam)', () => {
  it('says once that the log file is not writable, keeps logging to the terminal, and tries the file again only every 30 s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocket-logfull-'));
    const faultSwitch = join(dir, 'switch');
    process.env.POCKET_TEST_WRITE_FAULT = faultSwitch;
    try {
      let now = 1_000_000;
      const out = capture(false);
      const path = join(dir, 'bot.log');
      const log = createLogger({ stream: out.stream, env: {}, now: () => now, file: { path, maxBytes: 1_000_000, keep: 2 } });
      log.info('before');
      writeFileSync(faultSwitch, 'ENOSPC');
      for (let i = 0; i < 200; i++) {
        log.error('journal trouble', { i });
        now += 100; // 20 s of lines
      }
      const text = out.text();
      expect(text.match(/log file .* not writable/g)?.length, 'said once').toBe(1);
      expect(text).toMatch(/ENOSPC.*logging to the terminal only/);
      expect(text.match(/journal trouble/g)?.length, 'every line still reaches the terminal').toBe(200);
      rmSync(faultSwitch);
      log.info('still inside the 30 s'); // not tried yet
      expect(readFileSync(path, 'utf8')).not.toMatch(/still inside/);
      now += 10_000;
      log.info('after');
      const file = readFileSync(path, 'utf8');
      expect(file).toMatch(/log file writable again \(201 line\(s\) went to the terminal only\)/);
      expect(file).toMatch(/after/);
      expect(file).not.toMatch(/journal trouble/);
    } finally {
      delete process.env.POCKET_TEST_WRITE_FAULT;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
