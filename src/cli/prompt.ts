/**
 * Terminal questions for the first-run wizard: plain answers with a default, choices, validated
 * answers that are asked again until valid, and hidden input for secrets (nothing is echoed).
 * Text and questions wrap at word boundaries to the terminal's width (a phone in portrait shows
 * about 48 columns), so no word is cut at the edge of the screen.
 */
// Loaded when a prompt opens (process.getBuiltinModule), not with the bundle (issue 18).
import type { Interface } from 'node:readline';
import { Writable } from 'node:stream';

export class PromptAborted extends Error {
  override name = 'PromptAborted';
}

export class Prompter {
  readonly #out: NodeJS.WritableStream;
  readonly #rl: Interface;
  #muted = false;
  #closed = false;

  constructor(input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
    this.#out = output;
    // readline echoes through this stream, so muting it hides what is typed for secrets.
    const echo = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        if (!this.#muted) output.write(chunk);
        done();
      },
    });
    this.#rl = process.getBuiltinModule('node:readline').createInterface({ input, output: echo, terminal: true });
    this.#rl.on('close', () => {
      this.#closed = true;
    });
    this.#rl.on('SIGINT', () => {
      this.#rl.close();
    });
  }

  say(text: string): void {
    this.#out.write(wrapText(text, this.#width()).join('\n') + '\n');
  }

  /** Asks until `validate` returns null; returns the trimmed answer, or the default when empty. */
  async ask(question: string, opts: { default?: string; validate?: (answer: string) => string | null; hidden?: boolean } = {}): Promise<string> {
    for (;;) {
      const suffix = opts.default !== undefined && !opts.hidden ? ` [${opts.default}]` : '';
      const raw = await this.#question(`${question}${suffix}: `, opts.hidden === true);
      const answer = raw.trim() === '' && opts.default !== undefined ? opts.default : raw.trim();
      const problem = opts.validate ? opts.validate(answer) : answer === '' ? 'an answer is needed' : null;
      if (problem === null) return answer;
      this.say(`  ${problem}`);
    }
  }

  async choose<T extends string>(question: string, choices: readonly T[], def: T): Promise<T> {
    const answer = await this.ask(`${question} (${choices.join('/')})`, {
      default: def,
      validate: (a) => (choices.includes(a.toLowerCase() as T) ? null : `please answer one of: ${choices.join(', ')}`),
    });
    return answer.toLowerCase() as T;
  }

  async confirm(question: string, def: boolean): Promise<boolean> {
    const answer = await this.ask(`${question} (y/n)`, {
      default: def ? 'y' : 'n',
      validate: (a) => (/^(y|yes|n|no)$/i.test(a) ? null : 'please answer y or n'),
    });
    return /^y/i.test(answer);
  }

  close(): void {
    this.#rl.close();
  }

  /** The terminal's width; 80 where it is not known. */
  #width(): number {
    const columns = (this.#out as { columns?: unknown }).columns;
    return typeof columns === 'number' && columns > 0 ? columns : 80;
  }

  #question(text: string, hidden: boolean): Promise<string> {
    if (this.#closed) return Promise.reject(new PromptAborted('input closed'));
    // All but the last line are printed; readline keeps the last one as the prompt, with room to type.
    const lines = wrapText(text, this.#width() - 8);
    const prompt = lines.pop() ?? '';
    if (lines.length) this.#out.write(lines.join('\n') + '\n');
    return new Promise((resolve, reject) => {
      const onClose = (): void => reject(new PromptAborted('cancelled'));
      this.#rl.once('close', onClose);
      this.#muted = false;
      this.#rl.question(prompt, (answer) => {
        this.#rl.off('close', onClose);
        if (hidden) {
          this.#muted = false;
          this.#out.write('\n');
        }
        resolve(answer);
      });
      // question() has written the prompt synchronously; from here on, echo is hidden for secrets.
      this.#muted = hidden;
    });
  }
}

/**
 * Splits `text` into lines of at most `width` characters at spaces (a word longer than the width
 * gets a line of its own); a line's leading indent is kept on the lines it wraps into. Trailing
 * spaces of the text (a prompt's "… [y]: ") stay on its last line.
 */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const indent = /^ */.exec(line)![0];
    const trailing = / *$/.exec(line)![0];
    const words = line.trim().split(/ +/).filter(Boolean);
    // A line that fits is kept as it is, with any spacing that aligns it (the summary's columns).
    if (words.length === 0 || line.length <= width) {
      out.push(line);
      continue;
    }
    let current = indent + words[0]!;
    for (const word of words.slice(1)) {
      if (current.length + 1 + word.length <= width) current += ' ' + word;
      else {
        out.push(current);
        current = indent + word;
      }
    }
    out.push(current + trailing);
  }
  return out;
}
