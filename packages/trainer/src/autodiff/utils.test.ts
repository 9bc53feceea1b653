import { describe, expect, it } from 'vitest';
import { broadcastAxes, filledTensor, toFloat16Bits } from './utils.js';

describe('broadcastAxes', () => {
  it('finds leading and size-1 axes statically', () => {
    expect(broadcastAxes([3], [2, 3])).toEqual([0]);
    expect(broadcastAxes([3, 1], [2, 3, 4])).toEqual([0, 2]);
    expect(broadcastAxes([2, 1, 4], [2, 3, 4])).toEqual([1]);
    expect(broadcastAxes([], [2, 3])).toEqual([0, 1]);
    expect(broadcastAxes([2, 3], [2, 3])).toEqual([]);
    expect(broadcastAxes(['batch', 1], ['batch', 5])).toEqual([1]);
    expect(broadcastAxes([4], ['n'])).toEqual([]);
    expect(broadcastAxes(['n'], [1])).toEqual([]);
  });

  it('leaves the axes open when a symbolic input dim may be 1', () => {
    expect(broadcastAxes(['m', 3], ['n', 3])).toBeUndefined();
    expect(broadcastAxes(['m'], [5])).toBeUndefined();
  });

  it('rejects shapes that cannot broadcast', () => {
    expect(() => broadcastAxes([3], [4])).toThrow(/dimension 3 cannot broadcast to 4/);
    expect(() => broadcastAxes([2, 3], [3])).toThrow(/higher rank than the broadcast result/);
  });
});

describe('float16 constants', () => {
  it('encodes half-precision bits (round to nearest even, subnormals, overflow)', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(0.5)).toBe(0x3800);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(toFloat16Bits(1e-9)).toBe(0);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to the even mantissa
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Array.from(filledTensor('float16', [2], 1).data as Uint16Array)).toEqual([
      0x3c00, 0x3c00,
    ]);
  });
});
