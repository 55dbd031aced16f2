import { z } from 'zod';

/**
 * A Twenty person as the REST API returns it (the fields Kith reads; others pass through).
 * Composite fields may come back null or partially filled, so every part is optional here.
 */
const nullableString = z.string().nullable().optional();

export const twentyPhone = z.looseObject({
  number: nullableString,
  countryCode: nullableString,
  callingCode: nullableString,
});
export type TwentyPhone = z.infer<typeof twentyPhone>;

export const twentyPerson = z.looseObject({
  id: z.string().min(1),
  name: z.looseObject({ firstName: nullableString, lastName: nullableString }).nullable().optional(),
  emails: z.looseObject({ primaryEmail: nullableString, additionalEmails: z.array(z.string()).nullable().optional() }).nullable().optional(),
  phones: z
    .looseObject({
      primaryPhoneNumber: nullableString,
      primaryPhoneCountryCode: nullableString,
      primaryPhoneCallingCode: nullableString,
      additionalPhones: z.array(twentyPhone).nullable().optional(),
    })
    .nullable()
    .optional(),
  jobTitle: nullableString,
  /** Twenty's standard LINKS field for the LinkedIn profile. */
  linkedinLink: z.looseObject({ primaryLinkUrl: nullableString, primaryLinkLabel: nullableString }).nullable().optional(),
  companyId: nullableString,
  /** Present with `depth=1`: the related company. */
  company: z.looseObject({ id: z.string(), name: nullableString }).nullable().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string(),
  deletedAt: nullableString,
});
export type TwentyPerson = z.infer<typeof twentyPerson>;

/** What Kith writes to a person (create or PATCH): full composites, never partial ones. */
export interface TwentyPersonInput {
  id?: string;
  name: { firstName: string; lastName: string };
  emails: { primaryEmail: string; additionalEmails: string[] };
  phones: {
    primaryPhoneNumber: string;
    primaryPhoneCountryCode: string;
    primaryPhoneCallingCode: string;
    additionalPhones: { number: string; countryCode: string; callingCode: string }[];
  };
  jobTitle: string;
  linkedinLink: { primaryLinkUrl: string; primaryLinkLabel: string };
  companyId: string | null;
  /** Custom fields of the workspace (the category field, TwentyMapping). */
  [custom: string]: unknown;
}

export const twentyCompany = z.looseObject({ id: z.string().min(1), name: nullableString });
export type TwentyCompany = z.infer<typeof twentyCompany>;
