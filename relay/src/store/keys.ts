/** @fileoverview Every Redis key the relay uses, in one place, under the configured prefix. */
export type Keys = ReturnType<typeof redisKeys>;

export function redisKeys(prefix: string) {
  return {
    prefix,
    job: (id: string) => `${prefix}job:${id}`,
    stored: (id: string) => `${prefix}stored:${id}`, // source key → stored UI item (outputs copied once)
    priorityLane: `${prefix}q:priority`,
    normalLane: `${prefix}q:normal`,
    seq: `${prefix}seq`,
    round: `${prefix}round`,
    userQueued: `${prefix}u:queued`,
    userRunning: `${prefix}u:running`,
    userRound: `${prefix}u:round`,
    userWaited: `${prefix}u:waited`, // per user: jobs dispatched ahead of theirs, summed (fair rotation within a round)
    userCounted: `${prefix}u:counted`, // per user: the jobs counted in userWaited
    dispatched: `${prefix}dispatched`, // jobs claimed so far (a job's wait in jobs dispatched ahead of it)
    active: `${prefix}active`,
    backendRunning: `${prefix}b:running`,
    jobs: `${prefix}jobs`,
    userJobs: (userId: string) => `${prefix}u:jobs:${userId}`,
    runtimes: `${prefix}runtimes`,
    eventsAll: `${prefix}events:all`,
    eventsUser: (userId: string) => `${prefix}events:u:${userId}`,
    previewChannel: (userId: string) => `${prefix}preview:${userId}`,
    previewPattern: `${prefix}preview:*`,
    controlChannel: `${prefix}control`, // cancel requests and queue changes, between relays
    workshopWorkflows: `${prefix}workshop:workflows`, // published workshop workflows: name → {json, modified}
    workshopDefault: `${prefix}workshop:default`, // the workflow opened on a first visit
    workshopChannel: `${prefix}workshop`, // live workshop notices (published workflow, broadcast), between relays
    marker: `${prefix}marker`, // the workshop marker: its absence on a known Redis means the data was lost (store/redis-durability)
    objectInfo: `${prefix}object_info`, // the GPU's last good /object_info (JSON), survives cold starts and restarts
    galleryHidden: `${prefix}gallery:hidden`, // gallery item ids the operator hid (SET)
    galleryOptOut: `${prefix}gallery:optout`, // users who keep their outputs off the gallery wall (SET)
    gpuAsked: (userId: string, path: string) => `${prefix}gpu:asked:${userId}:${path}`, // a user's fresh look at the GPU (expires: the per-user limit)
  };
}
