/**
 * The gallery wall through real sidecars and a real relay: attendees' new outputs are listed for
 * the operator (newest first, served confined from each user's store), the operator hides one,
 * an attendee opts out from their sidecar (the flag is always their own), and every route refuses
 * the other side's token with 403.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  ADMIN_TOKEN,
  RELAY_SECRET,
  startStack,
  TabSocket,
  type Attendee,
  type Stack,
} from '../support/sidecar-stack';
import { until } from '../../kit/until';
import { mintUserToken } from '../../kit/user-token';
import { GalleryList, type GalleryItem } from '../../protocol/src/relay/gallery';
import { tokenProtocols } from '../../protocol/src/relay/ws-token';

const save = (prefix: string, color: number) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 24, height: 16, batch_size: 1, color } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
});

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const alice = mintUserToken(RELAY_SECRET, 'user001');

async function relay(path: string, token: string, init: RequestInit = {}) {
  return fetch(`${stack.relayUrl}${path}`, {
    ...init,
    headers: {
      ...bearer(token),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
  });
}
async function wall(hidden = false): Promise<GalleryItem[]> {
  const response = await relay(`/api/admin/gallery${hidden ? '?hidden=1' : ''}`, ADMIN_TOKEN);
  expect(response.status).toBe(200);
  return GalleryList.parse(await response.json()).items;
}
const hide = (id: string, hidden: boolean, token = ADMIN_TOKEN) =>
  relay('/api/admin/gallery/hide', token, { method: 'POST', body: JSON.stringify({ id, hidden }) });

async function attendeeTab(userId: string) {
  const attendee = await stack.attendee(userId);
  const tab = await TabSocket.open(attendee.url);
  return { attendee, tab };
}

async function run(a: { attendee: Attendee; tab: TabSocket }, prompt: Record<string, unknown>) {
  const response = await fetch(`${a.attendee.url}/api/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: a.tab.sid, prompt, extra_data: {} }),
  });
  expect(response.status).toBe(200);
  const id = ((await response.json()) as { prompt_id: string }).prompt_id;
  await a.tab.untilEnd(id);
  return id;
}

const optOut = (a: Attendee, value?: boolean) =>
  fetch(`${a.url}/api/comfyume/gallery/opt-out`, {
    method: value === undefined ? 'GET' : 'PUT',
    headers: { 'content-type': 'application/json' },
    body: value === undefined ? undefined : JSON.stringify({ optOut: value }),
  });

describe('gallery wall', () => {
  it('lists a new output live, serves its image, and the operator hides it and shows it again', async () => {
    const a = await attendeeTab('user001');
    // The operator's event socket announces the finished job: the dashboard's cue to refresh.
    const socket = new WebSocket(
      `${stack.relayUrl.replace('http', 'ws')}/api/events`,
      tokenProtocols(ADMIN_TOKEN),
    );
    const doneJobs: string[] = [];
    socket.on('message', (data, binary) => {
      if (binary) return;
      const event = JSON.parse(String(data)) as {
        type: string;
        job?: { id: string; state: string };
      };
      if (event.type === 'job' && event.job?.state === 'done') doneJobs.push(event.job.id);
    });
    await new Promise((resolve) => socket.once('open', resolve));
    try {
      const first = await run(a, save('wall/first', 1));
      const second = await run(a, save('second', 2));
      await until(() => doneJobs.length >= 2, 10_000, 'the done events on the admin socket');

      const items = await wall();
      expect(items.map((i) => [i.userId, i.subfolder, i.filename])).toEqual([
        ['user001', '', 'second_00001_.png'],
        ['user001', 'wall', 'first_00001_.png'],
      ]);
      expect(items.map((i) => i.jobId)).toEqual([second, first]);
      expect(doneJobs).toEqual(expect.arrayContaining([first, second]));
      const image = await relay(`/api/admin/gallery/image/${items[0]!.id}`, ADMIN_TOKEN);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(
        Buffer.from(await image.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');

      const hidden = await hide(items[0]!.id, true);
      expect(hidden.status).toBe(200);
      expect((await wall()).map((i) => i.filename)).toEqual(['first_00001_.png']);
      expect((await wall(true)).map((i) => [i.filename, i.hidden])).toEqual([
        ['second_00001_.png', true],
        ['first_00001_.png', false],
      ]);
      expect((await hide(items[0]!.id, false)).status).toBe(200);
      expect((await wall()).map((i) => i.filename)).toEqual([
        'second_00001_.png',
        'first_00001_.png',
      ]);
    } finally {
      socket.close();
    }
  });

  it("respects an attendee's opt-out, set from their own sidecar, for their past and new outputs", async () => {
    const a = await attendeeTab('user001');
    const b = await attendeeTab('user002');
    await run(a, save('alice', 3));
    await run(b, save('bob', 4));
    expect((await wall()).map((i) => i.userId).sort()).toEqual(['user001', 'user002']);
    const bobItem = (await wall()).find((i) => i.userId === 'user002')!;

    expect(await (await optOut(b.attendee)).json()).toEqual({ optOut: false });
    const set = await optOut(b.attendee, true);
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ optOut: true });
    expect(await (await optOut(b.attendee)).json()).toEqual({ optOut: true });
    expect(await (await optOut(a.attendee)).json()).toEqual({ optOut: false });

    await run(b, save('bob-again', 5));
    expect((await wall(true)).map((i) => i.userId)).toEqual(['user001']);
    expect((await relay(`/api/admin/gallery/image/${bobItem.id}`, ADMIN_TOKEN)).status).toBe(404);

    // An attendee can only ever set their own flag: a user id in the body is not read.
    const sneaky = await relay('/api/gallery/opt-out', alice, {
      method: 'PUT',
      body: JSON.stringify({ optOut: false, userId: 'user002' }),
    });
    expect(sneaky.status).toBe(200);
    expect(await (await optOut(b.attendee)).json()).toEqual({ optOut: true });

    await optOut(b.attendee, false);
    expect((await wall()).map((i) => i.userId)).toEqual(['user002', 'user002', 'user001']);
  });

  it('refuses the other side: 403 for an attendee on the wall, hide and images, and for the operator on the opt-out', async () => {
    const a = await attendeeTab('user001');
    await run(a, save('mine', 6));
    const [item] = await wall();
    const forbidden = async (response: Response) => {
      expect(response.status).toBe(403);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('forbidden');
      expect(body.error.message).not.toContain(ADMIN_TOKEN);
      return body.error.message;
    };
    expect(await forbidden(await relay('/api/admin/gallery', alice))).toMatch(/operator/);
    await forbidden(await relay(`/api/admin/gallery/image/${item!.id}`, alice));
    expect(await forbidden(await hide(item!.id, true, alice))).toMatch(/operator/);
    expect((await wall()).length).toBe(1); // not hidden
    await forbidden(
      await relay('/api/gallery/opt-out', ADMIN_TOKEN, {
        method: 'PUT',
        body: JSON.stringify({ optOut: true }),
      }),
    );
    // No token at all: 401. Bad input: a clear 400.
    expect((await fetch(`${stack.relayUrl}/api/admin/gallery`)).status).toBe(401);
    const badId = await hide('not a gallery id!', true);
    expect(badId.status).toBe(400);
    const badBody = await relay('/api/admin/gallery/hide', ADMIN_TOKEN, {
      method: 'POST',
      body: JSON.stringify({ id: item!.id }),
    });
    expect(badBody.status).toBe(400);
    expect(((await badBody.json()) as { error: { message: string } }).error.message).toMatch(
      /hidden/,
    );
    const notOurs = await hide(
      Buffer.from(JSON.stringify(['user001', 'output', '..', 'x.png'])).toString('base64url'),
      true,
    );
    expect(notOurs.status).toBe(200); // a flag only; the file route confines it:
    const escaped = await relay(
      `/api/admin/gallery/image/${Buffer.from(JSON.stringify(['user001', 'output', '../..', 'x.png'])).toString('base64url')}`,
      ADMIN_TOKEN,
    );
    expect(escaped.status).toBe(400);
    const sidecarBad = await fetch(`${a.attendee.url}/api/comfyume/gallery/opt-out`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ optOut: 'yes' }),
    });
    expect(sidecarBad.status).toBe(400);
  });
});
