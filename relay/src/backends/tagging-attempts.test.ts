// Tags of a resubmitted job carry its attempt, so the dead attempt's files are told apart; the agent's files are never outputs.
import { describe, expect, it } from 'vitest';
import { tagPrompt, TaggingError, untag } from './tagging';

const JOB = '5b8f1c2e-0d3a-4f6b-9c7e-1a2b3c4d5e6f';
const prompt = {
  '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'renders/cat' } },
  '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
};
const prefixOf = (tagged: Record<string, unknown>, id: string) =>
  (tagged[id] as { inputs: { filename_prefix: string } }).inputs.filename_prefix;

describe('attempts in tags', () => {
  it('attempt 1 keeps the plain tag; attempt 2 writes under @2 with the same user prefix', () => {
    expect(prefixOf(tagPrompt(prompt, JOB).prompt, '2')).toBe(`comfyume/${JOB}/2/renders/cat`);
    const second = tagPrompt(prompt, JOB, { attempt: 2 });
    expect(prefixOf(second.prompt, '2')).toBe(`comfyume/${JOB}/@2/2/renders/cat`);
    expect(prefixOf(second.prompt, '3')).toMatch(
      new RegExp(`^comfyume/${JOB}/@2/3/ComfyUI_temp_[a-z]{5}$`),
    );
    // The preview stem is the same for every attempt: the user sees one name for one node.
    expect(prefixOf(second.prompt, '3').split('/').pop()).toBe(
      prefixOf(tagPrompt(prompt, JOB).prompt, '3').split('/').pop(),
    );
  });

  it('untag reads the attempt back and keeps node and prefix', () => {
    expect(untag(`comfyume/${JOB}/@2/2/renders/cat_00001_.png`)).toMatchObject({
      jobId: JOB,
      attempt: 2,
      nodeId: '2',
      originalPrefix: 'renders/cat',
    });
    expect(untag(`comfyume/${JOB}/2/renders/cat_00001_.png`)?.attempt).toBe(1);
  });

  it('never takes the agent files or odd attempt folders for outputs', () => {
    expect(untag(`comfyume/${JOB}/.agent/1-gpu-a/00000001.json`)).toBeNull();
    expect(untag(`comfyume/${JOB}/.agent/cancel.json`)).toBeNull();
    expect(untag(`comfyume/replicas/gpu-a.json`)).toBeNull();
    expect(untag(`comfyume/${JOB}/@1/2/x_00001_.png`)).toBeNull(); // attempt 1 has no segment
    expect(untag(`comfyume/${JOB}/@x/2/x_00001_.png`)).toBeNull();
  });

  it('refuses an attempt outside 1…99', () => {
    expect(() => tagPrompt(prompt, JOB, { attempt: 0 })).toThrow(TaggingError);
    expect(() => tagPrompt(prompt, JOB, { attempt: 100 })).toThrow(TaggingError);
  });
});
