import { describe, expect, test } from 'vitest';
import { IdxError, loadMnist, parseIdx, sliceSet } from '../../trainer/mnist.ts';

function idx(dims: number[], body?: number[]): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const buf = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(buf.buffer);
  buf[2] = 0x08;
  buf[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  (body ?? Array.from({ length: count }, (_, i) => i % 256)).forEach(
    (v, i) => (buf[4 + 4 * dims.length + i] = v),
  );
  return buf;
}

describe('parseIdx', () => {
  test.each([
    { name: 'labels', dims: [5] },
    { name: 'images', dims: [2, 28, 28] },
    { name: '4-d', dims: [2, 3, 4, 5] },
  ])('parses $name', ({ dims }) => {
    const parsed = parseIdx(idx(dims));
    expect(parsed.dims).toEqual(dims);
    expect(parsed.data.length).toBe(dims.reduce((a, b) => a * b, 1));
    expect(parsed.data[3]).toBe(3);
  });

  const good = idx([3, 2, 2]);
  test.each([
    { name: 'empty buffer', buf: new Uint8Array(0), message: /at least 4 header bytes/ },
    {
      name: 'wrong magic',
      buf: Uint8Array.from([1, 2, 3, 4, ...good.subarray(4)]),
      message: /IDX magic number/,
    },
    {
      name: 'float type',
      buf: Uint8Array.from([0, 0, 0x0d, 3, ...good.subarray(4)]),
      message: /IDX magic number/,
    },
    { name: 'truncated header', buf: good.subarray(0, 9), message: /header bytes/ },
    {
      name: 'truncated data',
      buf: good.subarray(0, good.length - 1),
      message: /Expected 28 bytes .* received 27/,
    },
    { name: 'trailing bytes', buf: Uint8Array.from([...good, 0]), message: /received 29/ },
    { name: 'zero dimension', buf: idx([0, 2]), message: /non-zero size for dimension 0/ },
  ])('rejects $name', ({ buf, message }) => {
    expect(() => parseIdx(buf, 'test.idx')).toThrow(IdxError);
    expect(() => parseIdx(buf, 'test.idx')).toThrow(message);
  });
});

describe('loadMnist', () => {
  test('loads the embedded data set with the official sizes and label ranges', async () => {
    const { train, test: t } = await loadMnist();
    expect(train.count).toBe(60000);
    expect(t.count).toBe(10000);
    expect(train.images.length).toBe(60000 * 784);
    // The first test digit of MNIST is a 7, the first training digit a 5.
    expect(t.labels[0]).toBe(7);
    expect(train.labels[0]).toBe(5);
    const slice = sliceSet(t, 9990, 50);
    expect(slice.count).toBe(10);
    expect(slice.images.length).toBe(7840);
  });

  test('names the missing folder when the data is absent', async () => {
    await expect(loadMnist('/nonexistent-mnist')).rejects.toThrow(/nonexistent-mnist/);
  });
});
