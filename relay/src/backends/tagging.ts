/**
 * @fileoverview Output tagging (DESIGN.md §3.1): a pure rewrite of an API prompt so that every file
 * an output node writes lands in `comfyume/<jobId>/<nodeId>/<user prefix>`, and its inverse.
 *
 * On a shared output volume written by k load-balanced GPU replicas, the path is the only thing
 * that reliably says which job and node a file belongs to: history lands on one replica only.
 * A job resubmitted because its replica died runs again under the same job id; its later attempts
 * write under `comfyume/<jobId>/@<attempt>/<nodeId>/…`, so files of the dead attempt are told apart.
 * PreviewImage (and PreviewAudio) write to the GPU's private temp folder, so they become tagged
 * savers whose files are delivered to the user as `type: "temp"`. Nothing a user sends may leave
 * the job's folder: absolute prefixes, `..` escapes and odd node ids are refused before submit.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';

/** The folder under the GPU output directory that holds every tagged file. */
export const TAG_ROOT = 'comfyume';

export type OutputNode = {
  nodeId: string;
  /** The class the user asked for (PreviewImage stays PreviewImage here, even if submitted as SaveImage). */
  classType: string;
  /** The class actually submitted to the GPU. */
  submittedClassType: string;
  /** The user's prefix (normalised), e.g. "renders/cat"; PreviewImage gets ComfyUI's "ComfyUI_temp_xxxxx". */
  originalPrefix: string;
  deliverAs: 'output' | 'temp';
  /** ComfyUI UI-output key of its files (images, audio, gifs …); '' = decide from each file's extension. */
  key: string;
  /** UI output carries `animated: [true]` (animated WebP/PNG, video savers). */
  animated: boolean;
  /** False for savers whose files are not UI outputs (model weights): tagged so they cannot escape, never delivered. */
  deliverFiles: boolean;
};

export type TaggedPrompt = { prompt: Record<string, unknown>; outputNodes: OutputNode[] };

export type Untagged = {
  jobId: string;
  /** 1, or n for files under `@<n>/` (a resubmit after the first attempt's replica died). */
  attempt: number;
  nodeId: string;
  /** Folder part of the user's prefix ('' at top level), e.g. "renders". */
  subfolder: string;
  /** Prefix as ComfyUI applied it: subfolder + name stem without `_00001_` and extension, e.g. "renders/cat". */
  originalPrefix: string;
  file: string; // basename, e.g. "cat_00001_.png"
  extension: string; // ".png"
};

/** A prompt that cannot be tagged safely; the backend turns it into a JobError before submitting. */
export class TaggingError extends Error {
  readonly code = 'path_escape' as const;
  constructor(
    message: string,
    readonly nodeId: string,
    readonly classType: string,
  ) {
    super(message);
    this.name = 'TaggingError';
  }
}

type Saver = { key: string; animated?: boolean; deliverFiles?: boolean };

/** Known savers and the UI key their files appear under (comfy nodes.py, comfy_extras, VHS). */
const SAVERS: Record<string, Saver> = {
  SaveImage: { key: 'images' },
  SaveAnimatedWEBP: { key: 'images', animated: true },
  SaveAnimatedPNG: { key: 'images', animated: true },
  SaveWEBM: { key: 'images', animated: true },
  SaveVideo: { key: 'images', animated: true },
  SaveAudio: { key: 'audio' },
  SaveAudioMP3: { key: 'audio' },
  SaveAudioOpus: { key: 'audio' },
  VHS_VideoCombine: { key: 'gifs' },
  SaveLatent: { key: 'latents' },
  LossGraphNode: { key: 'images' },
  // Model and dataset writers: no UI output. Tagged (nothing escapes) but their files are not delivered.
  CheckpointSave: { key: '', deliverFiles: false },
  ImageOnlyCheckpointSave: { key: '', deliverFiles: false },
  CLIPSave: { key: '', deliverFiles: false },
  VAESave: { key: '', deliverFiles: false },
  ModelSave: { key: '', deliverFiles: false },
  LoraSave: { key: '', deliverFiles: false },
  SaveImageDataSetToFolder: { key: '', deliverFiles: false },
  SaveImageTextDataSetToFolder: { key: '', deliverFiles: false },
};

/** Preview nodes write to the GPU's temp folder; they are submitted as the saver that takes the same input. */
const PREVIEWS: Record<string, { saver: string; key: string }> = {
  PreviewImage: { saver: 'SaveImage', key: 'images' },
  PreviewAudio: { saver: 'SaveAudio', key: 'audio' },
};

const NODE_ID = /^[A-Za-z0-9_][A-Za-z0-9_:.-]*$/;
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// ComfyUI's temp-name alphabet (nodes.py PreviewImage: no "w", a doubled "p").
const TEMP_ALPHABET = 'abcdefghijklmnopqrstupvxyz';

/** ComfyUI's `ComfyUI_temp_xxxxx` preview stem, derived from job and node so the rewrite stays pure. */
export function tempPrefix(jobId: string, nodeId: string): string {
  const digest = createHash('sha256').update(`${jobId}/${nodeId}`).digest();
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += TEMP_ALPHABET[(digest[i] ?? 0) % TEMP_ALPHABET.length];
  return `ComfyUI_temp_${suffix}`;
}

/** Normalise a user prefix the way ComfyUI will (normpath), refusing anything that leaves its folder. */
export function safePrefix(raw: string, nodeId: string, classType: string): string {
  const where = `node ${nodeId} (${classType})`;
  if (raw.includes('\0'))
    throw new TaggingError(`filename_prefix of ${where} contains a NUL byte`, nodeId, classType);
  // A Windows GPU would treat backslashes as separators: judge the prefix as if it did.
  const slashed = raw.replaceAll('\\', '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) {
    throw new TaggingError(
      `filename_prefix "${raw}" of ${where} is an absolute path; use a relative prefix such as "renders/cat"`,
      nodeId,
      classType,
    );
  }
  const normal = posix.normalize(slashed).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) {
    throw new TaggingError(
      `filename_prefix "${raw}" of ${where} would save outside the output folder`,
      nodeId,
      classType,
    );
  }
  // An empty prefix would make ComfyUI take our node folder as the file name; ComfyUI's default stem keeps routing intact.
  return normal === '.' || normal === '' ? 'ComfyUI' : normal;
}

/** The literal filename_prefix of a node: a string, or a link to a constant primitive node. */
function literalPrefix(
  prompt: Record<string, unknown>,
  nodeId: string,
  classType: string,
  value: unknown,
): string {
  if (value === undefined || value === null) return 'ComfyUI';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') {
    const source = prompt[value[0]] as
      { class_type?: unknown; inputs?: Record<string, unknown> } | undefined;
    const sourceClass = typeof source?.class_type === 'string' ? source.class_type : 'unknown';
    const literal = source?.inputs?.value;
    if (sourceClass.startsWith('Primitive') && typeof literal === 'string') return literal;
    throw new TaggingError(
      `filename_prefix of node ${nodeId} (${classType}) comes from node ${value[0]} (${sourceClass}); remote GPUs need a literal prefix (type it in the node)`,
      nodeId,
      classType,
    );
  }
  throw new TaggingError(
    `filename_prefix of node ${nodeId} (${classType}) is not text`,
    nodeId,
    classType,
  );
}

/** The folder segment of attempt n ≥ 2 ('@' cannot start a node id, so it is never mistaken for one). */
const attemptSegment = (attempt: number) => `@${attempt}`;
const ATTEMPT = /^@([2-9]|[1-9]\d)$/;

/** `comfyume/<jobId>/<nodeId>/<prefix>` (attempt 1) or `comfyume/<jobId>/@<n>/<nodeId>/<prefix>`: the prefix submitted to the GPU. */
export function taggedPrefix(jobId: string, nodeId: string, prefix: string, attempt = 1): string {
  const folder = attempt > 1 ? `${jobId}/${attemptSegment(attempt)}` : jobId;
  return `${TAG_ROOT}/${folder}/${nodeId}/${prefix}`;
}

/**
 * Rewrite every output node of `prompt` (a deep copy; the input is not touched). A node is tagged
 * when it is a known saver or preview, or has a `filename_prefix` input (unknown custom savers).
 * `attempt` (≥ 2 after a resubmit) puts the files under `@<attempt>/`. `previews: 'keep'` leaves
 * preview nodes as they are: a backend that reads the GPU's own /view (direct) fetches their temp
 * files itself, and the GPU then runs the class the user placed.
 */
export function tagPrompt(
  prompt: Record<string, unknown>,
  jobId: string,
  options: { attempt?: number; previews?: 'tag' | 'keep' } = {},
): TaggedPrompt {
  const attempt = options.attempt ?? 1;
  if (!JOB_ID.test(jobId))
    throw new TaggingError(`job id "${jobId}" is not a canonical UUID`, '', '');
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > 99)
    throw new TaggingError(`attempt ${attempt} is not 1…99`, '', '');
  const out = structuredClone(prompt);
  const outputNodes: OutputNode[] = [];
  for (const [nodeId, rawNode] of Object.entries(out)) {
    if (!rawNode || typeof rawNode !== 'object') continue;
    const node = rawNode as { class_type?: unknown; inputs?: Record<string, unknown> };
    const classType = typeof node.class_type === 'string' ? node.class_type : '';
    const inputs = node.inputs && typeof node.inputs === 'object' ? node.inputs : {};
    const preview = PREVIEWS[classType];
    const saver = SAVERS[classType];
    if (!preview && !saver && !('filename_prefix' in inputs)) continue;
    if (!NODE_ID.test(nodeId)) {
      throw new TaggingError(
        `node id "${nodeId}" cannot name a folder; use letters, digits, ":" "_" "-"`,
        nodeId,
        classType,
      );
    }
    if (preview && options.previews === 'keep') continue;
    if (preview) {
      const originalPrefix = tempPrefix(jobId, nodeId);
      node.class_type = preview.saver;
      node.inputs = {
        ...inputs,
        filename_prefix: taggedPrefix(jobId, nodeId, originalPrefix, attempt),
      };
      outputNodes.push({
        nodeId,
        classType,
        submittedClassType: preview.saver,
        originalPrefix,
        deliverAs: 'temp',
        key: preview.key,
        animated: false,
        deliverFiles: true,
      });
      continue;
    }
    const originalPrefix = safePrefix(
      literalPrefix(out, nodeId, classType, inputs.filename_prefix),
      nodeId,
      classType,
    );
    node.inputs = {
      ...inputs,
      filename_prefix: taggedPrefix(jobId, nodeId, originalPrefix, attempt),
    };
    outputNodes.push({
      nodeId,
      classType,
      submittedClassType: classType,
      originalPrefix,
      deliverAs: 'output',
      key: saver?.key ?? '',
      animated: saver?.animated ?? false,
      deliverFiles: saver?.deliverFiles ?? true,
    });
  }
  return { prompt: out, outputNodes };
}

const AUDIO = new Set(['.wav', '.flac', '.mp3', '.opus', '.ogg', '.m4a', '.aac']);
const MODEL3D = new Set(['.glb', '.gltf', '.obj', '.fbx', '.stl', '.ply', '.usdz']);

/** The UI key a file of this node goes under (the node's own key, else guessed from the extension). */
export function outputKey(node: Pick<OutputNode, 'key'> | undefined, extension: string): string {
  if (node?.key) return node.key;
  const ext = extension.toLowerCase();
  if (AUDIO.has(ext)) return 'audio';
  if (MODEL3D.has(ext)) return '3d';
  if (ext === '.latent') return 'latents';
  return 'images';
}

/**
 * Inverse of the tag: a path relative to the GPU output folder (`comfyume/<job>/[@<n>/]<node>/…/name_00001_.png`,
 * POSIX or Windows separators) → job, attempt, node, the user's subfolder and prefix. Null when it
 * is not tagged (the agent's dot-named folders included: a dot cannot start a node id).
 */
export function untag(path: string): Untagged | null {
  const parts = path
    .replaceAll('\\', '/')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  const at = parts.indexOf(TAG_ROOT);
  if (at < 0) return null;
  const tail = parts.slice(at + 1);
  let attempt = 1;
  const marker = ATTEMPT.exec(tail[1] ?? '');
  if (marker) {
    attempt = Number(marker[1]);
    tail.splice(1, 1);
  }
  const [jobId, nodeId, ...rest] = tail;
  if (!jobId || !nodeId || rest.length === 0 || !JOB_ID.test(jobId) || !NODE_ID.test(nodeId))
    return null;
  if (rest.includes('..')) return null;
  const file = rest[rest.length - 1] as string;
  const subfolder = rest.slice(0, -1).join('/');
  const extension = posix.extname(file);
  const stem = file.slice(0, file.length - extension.length).replace(/_\d{5,}_$/, '');
  return {
    jobId,
    attempt,
    nodeId,
    subfolder,
    originalPrefix: subfolder ? `${subfolder}/${stem}` : stem,
    file,
    extension,
  };
}
