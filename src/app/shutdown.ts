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
