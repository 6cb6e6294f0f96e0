/** @fileoverview The gallery's two flags in Redis: item ids the operator hid and users who opted out (one SET each). */
import type { Redis } from 'ioredis';
import type { GalleryFlags } from '../gallery/gallery';

export class RedisGalleryFlags implements GalleryFlags {
  constructor(
    private readonly redis: Redis,
    private readonly keys: { galleryHidden: string; galleryOptOut: string },
  ) {}

  async hidden(): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.keys.galleryHidden));
  }

  async setHidden(id: string, hidden: boolean): Promise<void> {
    if (hidden) await this.redis.sadd(this.keys.galleryHidden, id);
    else await this.redis.srem(this.keys.galleryHidden, id);
  }

  async optedOut(): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.keys.galleryOptOut));
  }

  async isOptedOut(userId: string): Promise<boolean> {
    return (await this.redis.sismember(this.keys.galleryOptOut, userId)) === 1;
  }

  async setOptOut(userId: string, optOut: boolean): Promise<void> {
    if (optOut) await this.redis.sadd(this.keys.galleryOptOut, userId);
    else await this.redis.srem(this.keys.galleryOptOut, userId);
  }
}
