/**
 * @fileoverview A port of CPython's `heapq` (push, pop, heapify) so the pending array has the same
 * layout as ComfyUI's: `GET /queue` returns the raw heap array, not a sorted list.
 */

export type Compare<T> = (a: T, b: T) => number;

function siftDown<T>(heap: T[], startPos: number, pos: number, less: Compare<T>): void {
  const newItem = heap[pos] as T;
  while (pos > startPos) {
    const parentPos = (pos - 1) >> 1;
    const parent = heap[parentPos] as T;
    if (less(newItem, parent) < 0) {
      heap[pos] = parent;
      pos = parentPos;
      continue;
    }
    break;
  }
  heap[pos] = newItem;
}

function siftUp<T>(heap: T[], pos: number, less: Compare<T>): void {
  const endPos = heap.length;
  const startPos = pos;
  const newItem = heap[pos] as T;
  let childPos = 2 * pos + 1;
  while (childPos < endPos) {
    const rightPos = childPos + 1;
    if (rightPos < endPos && !(less(heap[childPos] as T, heap[rightPos] as T) < 0))
      childPos = rightPos;
    heap[pos] = heap[childPos] as T;
    pos = childPos;
    childPos = 2 * pos + 1;
  }
  heap[pos] = newItem;
  siftDown(heap, startPos, pos, less);
}

export function heapPush<T>(heap: T[], item: T, compare: Compare<T>): void {
  heap.push(item);
  siftDown(heap, 0, heap.length - 1, compare);
}

export function heapPop<T>(heap: T[], compare: Compare<T>): T | undefined {
  const last = heap.pop();
  if (last === undefined || heap.length === 0) return last;
  const top = heap[0] as T;
  heap[0] = last;
  siftUp(heap, 0, compare);
  return top;
}

export function heapify<T>(heap: T[], compare: Compare<T>): void {
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftUp(heap, i, compare);
}
