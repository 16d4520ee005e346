/**
 * A page in headless Chromium at an exact screen size, driven over the DevTools protocol (the `ws`
 * package the bot already depends on). The command line's `--window-size` cannot go below 500 px
 * for `--dump-dom`, so a 412 px phone needs `Emulation.setDeviceMetricsOverride`
 * (https://chromedevtools.github.io/devtools-protocol/tot/Emulation/#method-setDeviceMetricsOverride).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { removeProfile } from './removeProfile.js';

export interface PageShot {
  /** What `expression` evaluated to in the loaded page. */
  readonly value: unknown;
  readonly png: Buffer;
}

/** Loads `url` on a screen of `width`×`height` CSS px (`mobile`: a phone's viewport rules), evaluates `expression`, takes a screenshot. */
export async function renderPage(bin: string, url: string, screen: { width: number; height: number; mobile: boolean }, expression: string): Promise<PageShot> {
  const profile = mkdtempSync(join(tmpdir(), 'pocket-chromium-'));
  const child = spawn(bin, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage', '--disable-background-networking', `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  try {
    const browserUrl = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`chromium exited (${code}) before listening: ${err}`)));
    });
    const port = new URL(browserUrl).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    const page = targets.find((t) => t.type === 'page');
    if (!page) throw new Error('chromium opened no page');
    const ws = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    let id = 0;
    const waiting = new Map<number, (msg: { result?: Record<string, unknown>; error?: { message: string } }) => void>();
    const events = new Map<string, () => void>();
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { id?: number; method?: string; result?: Record<string, unknown>; error?: { message: string } };
      if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
      else if (msg.method) events.get(msg.method)?.();
    });
    const send = (method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const n = ++id;
        waiting.set(n, (msg) => (msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result ?? {})));
        ws.send(JSON.stringify({ id: n, method, params }));
      });
    await send('Page.enable');
    await send('Emulation.setDeviceMetricsOverride', { width: screen.width, height: screen.height, deviceScaleFactor: 1, mobile: screen.mobile });
    const loaded = new Promise<void>((resolve) => events.set('Page.loadEventFired', resolve));
    await send('Page.navigate', { url });
    await loaded;
    const evaluated = (await send('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: unknown }; exceptionDetails?: unknown };
    if (evaluated.exceptionDetails) throw new Error(`the expression threw: ${JSON.stringify(evaluated.exceptionDetails)}`);
    const shot = (await send('Page.captureScreenshot', { format: 'png' })) as { data: string };
    ws.close();
    return { value: evaluated.result.value, png: Buffer.from(shot.data, 'base64') };
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    removeProfile(profile);
  }
}
