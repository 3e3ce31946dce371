/** Terminal questions for `voisa-mcp login`: visible and hidden input; piped stdin is read line by line. */
import { createInterface } from 'node:readline';

export interface PromptIO {
  input: NodeJS.ReadStream | NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** Reads lines from a non-terminal input, one per question (for scripts and tests). */
export function lineReader(input: NodeJS.ReadableStream): () => Promise<string | undefined> {
  const rl = createInterface({ input, terminal: false });
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let closed = false;
  rl.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else lines.push(line);
  });
  rl.on('close', () => {
    closed = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  return () =>
    new Promise((resolve) => {
      if (lines.length) resolve(lines.shift());
      else if (closed) resolve(undefined);
      else waiting.push(resolve);
    });
}

/** Asks one question on a terminal, with echo. */
export function askVisible(
  input: NodeJS.ReadStream,
  output: NodeJS.WritableStream,
  question: string,
): Promise<string> {
  const rl = createInterface({ input, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}

/** Reads a secret from a TTY in raw mode without echoing it. Ctrl-C aborts. */
export function readHidden(
  input: NodeJS.ReadStream,
  output: NodeJS.WritableStream,
  question: string,
): Promise<string> {
  output.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (err?: Error) => {
      input.setRawMode(wasRaw);
      input.pause();
      input.removeListener('data', onData);
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}
