/**
 * @fileoverview The field shapes the relay's environment schema is made of (config.ts and the parts
 * it spreads in), so every part parses a number or an optional string the same way.
 */
import { z } from 'zod';

/** A whole number ≥ `min`, `def` when unset. */
export const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** A string; unset, empty or blank is undefined, otherwise trimmed. */
export const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
