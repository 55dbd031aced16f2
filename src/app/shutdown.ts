/**
 * Run `stop` once on SIGINT/SIGTERM; a second signal exits at once. Returns a promise that
 * resolves when stopping finished, so a command can await its own end.
 */
export function onShutdown(stop: (signal: string) => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) {
        console.error(`kith: second ${signal}: exiting without waiting`);
        process.exit(130);
      }
      stopping = true;
      stop(signal).then(resolve, (err: Error) => {
        console.error(`kith: error while stopping: ${err.message}`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

/**
 * Exit once a long-running command has closed everything. ioredis leaves a 2-second
 * socket-destroy timer behind for every connection that was already closed when it was told
 * to disconnect; waiting for those kept every stopped worker alive 2 s longer. Stdout and
 * stderr pipes are synchronous on Linux and pino flushes on exit, so nothing is lost.
 */
export function exitAfterShutdown(): never {
  process.exit(process.exitCode ?? 0);
}
