import { describe, expect, it } from 'vitest';
import { heapify, heapPop, heapPush } from './heap';

const cmp = (a: number, b: number) => a - b;

describe('heapq port', () => {
  it('pops in ascending order whatever the push order', () => {
    const heap: number[] = [];
    for (const n of [5, -3, 9, 0, 2, 7, -1]) heapPush(heap, n, cmp);
    const out: number[] = [];
    for (let n = heapPop(heap, cmp); n !== undefined; n = heapPop(heap, cmp)) out.push(n);
    expect(out).toEqual([-3, -1, 0, 2, 5, 7, 9]);
  });

  it('keeps the raw array layout CPython heapq produces', () => {
    // Python: h=[]; [heapq.heappush(h,x) for x in [5,3,8,1,9,2]] -> h == [1, 3, 2, 5, 9, 8]
    const heap: number[] = [];
    for (const n of [5, 3, 8, 1, 9, 2]) heapPush(heap, n, cmp);
    expect(heap).toEqual([1, 3, 2, 5, 9, 8]);
    // heapq.heappop(h) -> 1, h == [2, 3, 8, 5, 9]
    expect(heapPop(heap, cmp)).toBe(1);
    expect(heap).toEqual([2, 3, 8, 5, 9]);
    // heapq.heapify([9, 7, 5, 3, 1]) -> [1, 3, 5, 9, 7]
    const arr = [9, 7, 5, 3, 1];
    heapify(arr, cmp);
    expect(arr).toEqual([1, 3, 5, 9, 7]);
  });
});
