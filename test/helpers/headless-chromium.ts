// Headless Chromium (the Debian package) driven over the DevTools protocol on
// --remote-debugging-pipe: JSON messages ended by NUL on fds 3 (to Chromium)
// and 4 (from it). A few dozen lines instead of a browser-automation package.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { requireTool } from './cli.js';

const COMMAND_TIMEOUT_MS = 30_000;

// Without the background-networking flags Chromium reaches for the network
// (closed here) on start; --no-sandbox because the tests run as root.
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--remote-debugging-pipe',
];

interface ProtocolMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

type EventListener = (params: Record<string, unknown>, sessionId: string | undefined) => void;

export class HeadlessChromium {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners = new Map<string, EventListener[]>();
  private stderr = '';
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly profileDir: string,
  ) {
    const input = child.stdio[4] as Readable;
    let buffered = Buffer.alloc(0);
    input.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      let end: number;
      while ((end = buffered.indexOf(0)) >= 0) {
        this.dispatch(JSON.parse(buffered.subarray(0, end).toString('utf8')) as ProtocolMessage);
        buffered = buffered.subarray(end + 1);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    child.once('exit', () => {
      this.exited = true;
      for (const { reject, method } of this.pending.values()) reject(new Error(`chromium exited during ${method}: ${this.stderr}`));
      this.pending.clear();
    });
  }

  static launch(): HeadlessChromium {
    const executable = requireTool('chromium', 'chromium');
    const profileDir = mkdtempSync(join(tmpdir(), 'bt-chromium-'));
    const child = spawn(executable, [...CHROMIUM_FLAGS, `--user-data-dir=${profileDir}`, 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    return new HeadlessChromium(child, profileDir);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new Error(`chromium has exited: ${this.stderr}`));
    const id = this.nextId++;
    const message: ProtocolMessage = { id, method, params, ...(sessionId ? { sessionId } : {}) };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`chromium did not answer ${method} within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(id, {
        method,
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      (this.child.stdio[3] as Writable).write(JSON.stringify(message) + '\0');
    });
  }

  on(method: string, listener: EventListener): void {
    this.listeners.set(method, [...(this.listeners.get(method) ?? []), listener]);
  }

  private dispatch(message: ProtocolMessage): void {
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
      else waiter.resolve(message.result ?? {});
      return;
    }
    for (const listener of this.listeners.get(message.method ?? '') ?? []) listener(message.params ?? {}, message.sessionId);
  }

  /** A new tab of the given size that records console errors, page errors and requests, loaded with url. */
  async openPage(url: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const page = new Page(this, sessionId);
    for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await this.send(`${domain}.enable`, {}, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { ...viewport, deviceScaleFactor: 1, mobile: false }, sessionId);
    await page.navigate(url);
    return page;
  }

  async close(): Promise<void> {
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      await this.send('Browser.close').catch(() => undefined);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.profileDir, { recursive: true, force: true });
  }
}

export class Page {
  readonly consoleErrors: string[] = [];
  readonly pageErrors: string[] = [];
  readonly requests: string[] = [];
  private loaded: (() => void) | null = null;

  constructor(
    private readonly browser: HeadlessChromium,
    private readonly sessionId: string,
  ) {
    const mine = (listener: (params: Record<string, any>) => void): EventListener => (params, session) => {
      if (session === sessionId) listener(params);
    };
    browser.on('Runtime.consoleAPICalled', mine((p) => {
      if (p.type === 'error' || p.type === 'assert') this.consoleErrors.push((p.args as Array<{ value?: unknown; description?: string }>).map((a) => String(a.value ?? a.description)).join(' '));
    }));
    // Log entries carry what the page's own code does not print: CSP
    // violations, failed loads, deprecations that are errors.
    browser.on('Log.entryAdded', mine((p) => {
      if (p.entry.level === 'error') this.consoleErrors.push(`${p.entry.source}: ${p.entry.text}`);
    }));
    browser.on('Runtime.exceptionThrown', mine((p) => this.pageErrors.push(p.exceptionDetails.exception?.description ?? p.exceptionDetails.text)));
    browser.on('Network.requestWillBeSent', mine((p) => this.requests.push(p.request.url)));
    browser.on('Page.loadEventFired', mine(() => this.loaded?.()));
  }

  async navigate(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => (this.loaded = resolve));
    const result = await this.browser.send('Page.navigate', { url }, this.sessionId);
    if (result.errorText) throw new Error(`cannot load ${url}: ${result.errorText}`);
    await loaded;
  }

  /** The value of a JavaScript expression evaluated in the page (JSON-serializable). */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = (await this.browser.send(
      'Runtime.evaluate',
      { expression, returnByValue: true, awaitPromise: true },
      this.sessionId,
    )) as { result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } };
    if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value;
  }

  /** A real mouse click in the middle of the first element matching selector. */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(`(() => {
      const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) return null;
      e.scrollIntoView({ block: 'center' });
      const r = e.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    })()`);
    if (!box) throw new Error(`nothing matches ${selector}`);
    for (const type of ['mousePressed', 'mouseReleased']) {
      await this.browser.send('Input.dispatchMouseEvent', { type, ...box, button: 'left', clickCount: 1 }, this.sessionId);
    }
  }

  /** A PNG of the whole page (not just the viewport), or of a band of it. */
  async screenshot(file: string, band?: { y: number; height: number }): Promise<void> {
    const size = await this.evaluate<{ width: number; height: number }>(
      '({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight })',
    );
    const clip = { x: 0, y: band?.y ?? 0, width: size.width, height: band?.height ?? size.height, scale: 1 };
    const { data } = (await this.browser.send(
      'Page.captureScreenshot',
      { format: 'png', captureBeyondViewport: true, clip },
      this.sessionId,
    )) as { data: string };
    writeFileSync(file, Buffer.from(data, 'base64'));
  }
}
