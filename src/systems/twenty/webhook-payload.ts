import { z } from 'zod';

/**
 * The webhook body Twenty's server really sends (its docs show an older shape):
 * `record` is the after-state, or the before-state for deleted/destroyed events, so a
 * receiver must take deletion from `eventName`, not from `record.deletedAt`.
 */
export const TWENTY_WEBHOOK_ACTIONS = ['created', 'updated', 'deleted', 'destroyed', 'restored', 'upserted'] as const;
export type TwentyWebhookAction = (typeof TWENTY_WEBHOOK_ACTIONS)[number];

export const twentyWebhookPayload = z.object({
  targetUrl: z.string(),
  eventName: z
    .string()
    .regex(new RegExp(`^[A-Za-z][A-Za-z0-9]*\\.(${TWENTY_WEBHOOK_ACTIONS.join('|')})$`), 'must be <object>.<created|updated|deleted|destroyed|restored|upserted>'),
  objectMetadata: z.object({ id: z.string().min(1), nameSingular: z.string().min(1) }),
  workspaceId: z.string().min(1),
  webhookId: z.string().min(1),
  eventDate: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 instant'),
  record: z.looseObject({ id: z.string().min(1) }),
  updatedFields: z.array(z.string()).optional(),
});
export type TwentyWebhookPayload = z.infer<typeof twentyWebhookPayload>;

/** `person.updated` → `{ object: 'person', action: 'updated' }`. */
export function splitEventName(eventName: string): { object: string; action: TwentyWebhookAction } {
  const dot = eventName.lastIndexOf('.');
  return { object: eventName.slice(0, dot), action: eventName.slice(dot + 1) as TwentyWebhookAction };
}

/** The first problem as `field: message`, for a 400 answer that names the field. */
export function describeTwentyPayloadError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'body: invalid';
  const path = issue.path.length ? issue.path.join('.') : 'body';
  return `${path}: ${issue.message}`;
}
