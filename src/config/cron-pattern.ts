import { CronExpressionParser } from 'cron-parser';
import type { z } from 'zod';

const EXAMPLE = 'a cron pattern such as "0 6 * * *"';

/**
 * Why `pattern` is not a cron pattern BullMQ can schedule, or undefined when it is. The same
 * parser BullMQ uses (cron-parser) reads it, so a pattern accepted here is one the job
 * scheduler accepts; five fields (minute … weekday) or six (with seconds first) are required,
 * as the parser alone would also take fewer.
 */
export function cronPatternProblem(pattern: string): string | undefined {
  const fields = pattern.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6) return `must be ${EXAMPLE}: 5 fields (or 6 with seconds first), got ${fields}`;
  try {
    CronExpressionParser.parse(pattern);
    return undefined;
  } catch (err) {
    return `must be ${EXAMPLE}: ${(err as Error).message}`;
  }
}

/** zod `superRefine` for a cron-pattern variable: the reason becomes the ConfigError's message. */
export function cronProblem(value: string, ctx: z.RefinementCtx): void {
  const problem = cronPatternProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}
