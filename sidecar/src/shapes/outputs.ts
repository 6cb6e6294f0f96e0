/**
 * @fileoverview Walks a ComfyUI UI output (`{images:[{filename,subfolder,type}], animated:[true], text:[...]}`)
 * to list or rename the files it names. Pure: the renaming table is passed in.
 */
import type { NodeUiOutput } from '../../../protocol/src/relay/job';

export type FileRef = { filename: string; subfolder: string; type: 'output' | 'temp' };

/** Local filename for a file of a job, when the sidecar stored it under another name. */
export type RenameLookup = (jobId: string, ref: FileRef) => string | undefined;

export function isFileRef(item: unknown): item is FileRef & Record<string, unknown> {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return false;
  const r = item as Record<string, unknown>;
  return (
    typeof r.filename === 'string' &&
    (r.subfolder === undefined || typeof r.subfolder === 'string') &&
    (r.type === 'output' || r.type === 'temp')
  );
}

/** Every output/temp file named in a UI output (input-type items are the user's own files). */
export function filesOf(output: unknown): FileRef[] {
  if (!output || typeof output !== 'object') return [];
  const refs: FileRef[] = [];
  for (const list of Object.values(output as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (isFileRef(item))
        refs.push({ filename: item.filename, subfolder: item.subfolder ?? '', type: item.type });
    }
  }
  return refs;
}

/** A copy of a UI output with every renamed file's `filename` replaced. */
export function renameOutput<T>(output: T, rename: (ref: FileRef) => string | undefined): T {
  if (!output || typeof output !== 'object' || Array.isArray(output)) return output;
  const copy: Record<string, unknown> = {};
  for (const [key, list] of Object.entries(output as Record<string, unknown>)) {
    copy[key] = Array.isArray(list)
      ? list.map((item) => {
          if (!isFileRef(item)) return item;
          const name = rename({
            filename: item.filename,
            subfolder: item.subfolder ?? '',
            type: item.type,
          });
          return name && name !== item.filename ? { ...item, filename: name } : item;
        })
      : list;
  }
  return copy as T;
}

/** A job's outputs with local names. */
export function localOutputs(
  jobId: string,
  outputs: Record<string, NodeUiOutput>,
  lookup: RenameLookup,
): Record<string, NodeUiOutput> {
  return Object.fromEntries(
    Object.entries(outputs).map(([node, output]) => [
      node,
      renameOutput(output, (ref) => lookup(jobId, ref)),
    ]),
  );
}
