export type AlertKind = 'sync_failure' | 'new_conflict' | 'drift' | 'propagation_lag';

export interface Alert {
  kind: AlertKind;
  /** What the alert is about (a system, a contact), for grouping repeats. */
  subject: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Where the hub raises its alerts (src/hub/services/alerts.service.ts: the log and a webhook). */
export interface Alerts {
  /** Alerts raised by this process (tests, /health). */
  readonly raised: Alert[];
  /** Raise one; a transient one only from its repeated occurrence. Resolves to whether it was raised. Never throws. */
  raise(a: Alert, opts?: { transient?: boolean }): Promise<boolean>;
  /** A success clears the repeat count of transient failures for that subject. */
  clear(kind: AlertKind, subject: string): void;
}
