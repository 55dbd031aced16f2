/** A fault a test injects into a loopback emulator: the next matching request(s) get it. */
export interface EmulatorFault {
  method?: string;
  /** Substring or pattern of the request path (query excluded). */
  path?: string | RegExp;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Close the socket without answering (a network error for the client). */
  reset?: boolean;
  /** How many requests it hits before it is used up (default 1 when injected, unlimited with `until`). */
  times?: number;
  /** Every matching request gets it until this time (ms since the epoch), however many there are. */
  until?: number;
}

/** The injected faults of one emulator: add them, and take the one a request runs into. */
export class FaultList {
  private readonly faults: EmulatorFault[] = [];

  add(f: EmulatorFault): void {
    this.faults.push(f.until !== undefined ? { ...f } : { times: 1, ...f });
  }

  /** The first fault matching this request, consuming one of its uses; undefined when none. */
  take(method: string, pathname: string): EmulatorFault | undefined {
    const now = Date.now();
    for (let i = this.faults.length - 1; i >= 0; i--) if (this.faults[i]!.until !== undefined && this.faults[i]!.until! <= now) this.faults.splice(i, 1);
    const fault = this.faults.find(
      (f) => (!f.method || f.method === method) && (!f.path || (typeof f.path === 'string' ? pathname.includes(f.path) : f.path.test(pathname))),
    );
    if (fault && fault.times !== undefined && --fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }
}
