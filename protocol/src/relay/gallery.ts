/**
 * @fileoverview The gallery wall (relay ⇄ dashboard, relay ⇄ sidecar): attendees' newest outputs
 * for the projector, the operator's hide, and each attendee's own opt-out.
 *
 *   GET  /api/admin/gallery?limit=&hidden=1   (admin) → GalleryList, newest first; opted-out users
 *                                              never listed, hidden items only with hidden=1
 *   GET  /api/admin/gallery/image/:id         (admin) → the item's file (from the user's store, confined)
 *   POST /api/admin/gallery/hide              (admin) GalleryHideRequest → GalleryHideRequest (as now stored)
 *   GET  /api/gallery/opt-out                 (user)  → GalleryOptOut, the caller's own flag
 *   PUT  /api/gallery/opt-out                 (user)  GalleryOptOut → GalleryOptOut
 * A user token on an admin route, or the admin token on the opt-out, gets 403 `forbidden`.
 */
import { z } from 'zod';

/** Opaque, stable per stored file (the same file answered from cache is one item). */
export const GalleryItemId = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[A-Za-z0-9_-]+$/, 'a gallery item id');

export const GalleryItem = z.object({
  id: GalleryItemId,
  jobId: z.string(),
  userId: z.string(),
  /** When the job finished (ms epoch). */
  finishedAt: z.number(),
  filename: z.string(),
  subfolder: z.string(),
  type: z.enum(['output', 'temp']),
  hidden: z.boolean(),
});
export type GalleryItem = z.infer<typeof GalleryItem>;

export const GalleryList = z.object({ items: z.array(GalleryItem), optedOut: z.number() });
export type GalleryList = z.infer<typeof GalleryList>;

export const GalleryListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(48),
  hidden: z
    .enum(['0', '1'])
    .default('0')
    .transform((v) => v === '1'),
});

export const GalleryHideRequest = z.object({ id: GalleryItemId, hidden: z.boolean() });
export type GalleryHideRequest = z.infer<typeof GalleryHideRequest>;

export const GalleryOptOut = z.object({ optOut: z.boolean() });
export type GalleryOptOut = z.infer<typeof GalleryOptOut>;
