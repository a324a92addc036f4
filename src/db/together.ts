// Calls that pile up while earlier ones are under way, run as one: for statements whose cost is
// mostly the round trip (PostgreSQL over TCP), N concurrent requests then cost a few round trips,
// not N. A call goes out at once while fewer than MAX_RUNNING runs are under way, so a quiet
// service waits for nothing; under load, each run carries what arrived during the one before.

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Settles each waiting call with its outcome (same order). */
export function resolveEach<T>(
  calls: ReadonlyArray<{ resolve: (value: T) => void; reject: (error: unknown) => void }>,
  outcomes: ReadonlyArray<Outcome<T>>,
): void {
  calls.forEach((call, i) => {
    const outcome = outcomes[i];
    if (outcome.ok) call.resolve(outcome.value);
    else call.reject(outcome.error);
  });
}

/** Calls in one run at most: bounds a statement's size. */
const MAX_TOGETHER = 64;
/** Runs under way at once. */
const MAX_RUNNING = 2;

/**
 * `run` gets the inputs of the calls gathered, in order, and gives one outcome per input; if it
 * throws, every call of that run fails with its error.
 */
export function together<I, O>(run: (inputs: I[]) => Promise<Array<Outcome<O>>>): (input: I) => Promise<O> {
  const waiting: Array<{ input: I; resolve: (value: O) => void; reject: (error: unknown) => void }> = [];
  let running = 0;

  async function runNext(): Promise<void> {
    const part = waiting.splice(0, MAX_TOGETHER);
    running += 1;
    try {
      resolveEach(part, await run(part.map((call) => call.input)));
    } catch (error) {
      for (const call of part) call.reject(error);
    } finally {
      running -= 1;
      if (waiting.length > 0) void runNext();
    }
  }

  return (input) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      if (running < MAX_RUNNING) void runNext();
    });
}
