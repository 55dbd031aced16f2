import { type CountryCode, isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';
import { type Env, parseEnv } from './parse-env.js';

export const peopleSchema = z.object({
  /** Region assumed for phone numbers written without a country code (ISO 3166 alpha-2). */
  KITH_PHONE_REGION: z
    .string()
    .transform((v) => v.toUpperCase())
    .refine((v) => /^[A-Z]{2}$/.test(v) && isSupportedCountry(v), 'must be a two-letter country code that libphonenumber knows, such as US or GB')
    .default('US'),
});

export interface PeopleConfig {
  phoneRegion: CountryCode;
}

export function loadPeopleConfig(env: Env = process.env): PeopleConfig {
  return { phoneRegion: parseEnv(peopleSchema, env).KITH_PHONE_REGION as CountryCode };
}

let cached: PeopleConfig | undefined;

/** The process's people config, parsed once (services call this; tests pass env explicitly). */
export function peopleConfig(): PeopleConfig {
  return (cached ??= loadPeopleConfig());
}
