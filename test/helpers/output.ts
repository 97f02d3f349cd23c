// Capturing what code writes to process.stdout and process.stderr (the log goes to stderr) while it runs.
// The streams' `write` is replaced for the call's duration only and restored even when `fn` throws. Direct
// calls made meanwhile anywhere in the process are captured, so tests that capture run one at a time (node:test
// runs a file's tests in sequence); writes from a stream piped into stdout pass through uncaptured: that is
// how node:test's reporter writes its results (to the runner's stdout), which must not be swallowed.

export interface Captured<T> {
  value: T;
  /** The chunks written to stdout, as text, in order. */
  stdout: string[];
  /** The chunks written to stderr, as text, in order. */
  stderr: string[];
}

type Write = typeof process.stdout.write;

/** Whether the write comes from `Readable.pipe` (its `ondata` handler calls `dest.write`), not from code. */
function piped(): boolean {
  const frames = new Error().stack?.split("\n") ?? [];
  // [0] "Error", [1] piped, [2] the capturing write, [3] its caller.
  return /\bondata \(node:internal\/streams\/readable/.test(frames[3] ?? "");
}

function capturing(chunks: string[], original: Write, echo: boolean): Write {
  return ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    if (piped()) return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    if (echo) return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    // Not written anywhere: still honour a completion callback (write(chunk, cb) or write(chunk, encoding, cb)).
    const cb = rest.find((r): r is (err?: Error | null) => void => typeof r === "function");
    if (cb) process.nextTick(cb);
    return true;
  }) as Write;
}

/** Runs `fn` capturing stdout and stderr; with `echo` the writes also reach the real streams. */
export async function captureOutput<T>(fn: () => T | Promise<T>, o: { echo?: boolean } = {}): Promise<Captured<T>> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = capturing(stdout, out.bind(process.stdout), o.echo ?? false);
  process.stderr.write = capturing(stderr, err.bind(process.stderr), o.echo ?? false);
  try {
    return { value: await fn(), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
