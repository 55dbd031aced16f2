/** `safety_valve`: a run stopped before writing because its source answered too little or it would delete too much. */
export type AlertKind = 'sync_failure' | 'new_conflict' | 'drift' | 'propagation_lag' | 'safety_valve';

export interface Alert {
  kind: AlertKind;
  /** What the alert is about (a system's push or sweep, a contact): repeats are grouped by kind + subject. */
  subject: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * What was sent: the first alert of a condition (`raised`), a `reminder` while it lasts, or its
 * end (`recovered`). `repeats`: the occurrences it stands for — a reminder's since the last alert
 * sent, a recovery's since the condition began.
 */
export interface SentAlert extends Alert {
  state: 'raised' | 'reminder' | 'recovered';
  repeats: number;
  /** When the condition began (ms since the epoch). */
  since: number;
}

/** Where the hub raises its alerts (src/hub/services/alerts.service.ts: the log and a webhook). */
export interface Alerts {
  /** Alerts sent by this process, the latest 100 (tests, /health). */
  readonly raised: SentAlert[];
  /**
   * One occurrence. The first of its kind + subject is sent (a transient one only from its
   * repeated occurrence); repeats within the reminder interval are counted, not sent; the first
   * after it is sent as a reminder carrying the count. Resolves to whether it was sent. Never throws.
   */
  raise(a: Alert, opts?: { transient?: boolean }): Promise<boolean>;
  /** The condition has cleared (a success): a "recovered" alert when one was sent for it, and the count starts again. Never throws. */
  clear(kind: AlertKind, subject: string): Promise<void>;
}
