import { describe, expect, it } from 'vitest';
import { initBackend, registerWasmTrainingKernels, Rng, tf } from '@bigface/backend';
import { conv2DBackpropFilterChunked } from '../src/wasm-kernels/conv2d-backprop-filter';

type Backend = 'cpu' | 'wasm';
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

const ADDED = [
  'Conv2DBackpropFilter',
  'UnsortedSegmentSum',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Conv2DBackpropInput',
];

/** Switches the active backend and runs `fn` inside tidy, returning plain arrays (tensors never cross backends). */
async function on<T>(backend: Backend, fn: () => T): Promise<T> {
  await initBackend({ backend });
  let result!: T;
  tf.tidy(() => {
    result = fn();
  });
  return result;
}

const values = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const normal = (rng: Rng, shape: number[]) => rng.fillNormal(new Float32Array(size(shape)));

/** max |a - b| / max(1e-6, max |b|): the error relative to the reference's scale. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i] as number));
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs((actual[i] as number) - (expected[i] as number));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst / scale;
}

/** Live wasm heap buffers, including kernel intermediates that never became tensors. */
function wasmDataIds(): number {
  return (tf.engine().findBackend('wasm') as unknown as { numDataIds(): number }).numDataIds();
}

interface ConvCase {
  batch: number;
  height: number;
  width: number;
  inC: number;
  outC: number;
  k: number;
  stride: number;
  pad: Pad;
}

function randomConvCases(seed: number, count: number): ConvCase[] {
  const rng = new Rng(seed);
  const pads: Pad[] = [
    'same',
    'valid',
    1,
    [
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 0],
    ],
    [
      [0, 0],
      [2, 1],
      [1, 1],
      [0, 0],
    ],
  ];
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const c: ConvCase = {
      batch: rng.intRange(1, 3),
      height: rng.intRange(3, 9),
      width: rng.intRange(3, 9),
      inC: rng.intRange(1, 6),
      outC: rng.intRange(1, 6),
      k: rng.choice([1, 3]),
      stride: rng.choice([1, 2]),
      pad: rng.choice(pads),
    };
    const info = tf.backend_util.computeConv2DInfo([c.batch, c.height, c.width, c.inC], [c.k, c.k, c.inC, c.outC], c.stride, 1, c.pad);
    if (info.outHeight < 1 || info.outWidth < 1) continue;
    cases.push(c);
  }
  // Cover every stride x padding kind x kernel size at least once, then the random ones.
  const fixed: ConvCase[] = [];
  for (const k of [1, 3])
    for (const stride of [1, 2])
      for (const pad of pads) {
        fixed.push({ batch: 2, height: 8, width: 7, inC: 3, outC: 4, k, stride, pad });
      }
  return [...fixed, ...cases];
}

describe('registerWasmTrainingKernels', () => {
  it('registers the missing training kernels once and says which', async () => {
    const info = await initBackend({ backend: 'wasm' });
    expect(info.addedKernels).toEqual(ADDED);
    expect(registerWasmTrainingKernels()).toEqual(ADDED);
    expect(registerWasmTrainingKernels()).toEqual(ADDED);
    for (const name of ADDED) expect(tf.getKernel(name, 'wasm')).toBeDefined();
    // The replaced stock kernel keeps its setup function (it prepares the fallback's wasm binding).
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm').setupFunc).toBeTypeOf('function');
    expect((await initBackend({ backend: 'cpu' })).addedKernels).toEqual([]);
  });
});

describe('Conv2DBackpropFilter on wasm', () => {
  const cases = randomConvCases(11, 24);

  it(`matches the cpu backend through tf.grad of conv2d (${cases.length} cases: strides 1/2, same/valid/explicit, 1x1/3x3)`, async () => {
    const rng = new Rng(5);
    for (const c of cases) {
      const xShape = [c.batch, c.height, c.width, c.inC];
      const fShape = [c.k, c.k, c.inC, c.outC];
      const info = tf.backend_util.computeConv2DInfo(xShape as never, fShape as never, c.stride, 1, c.pad);
      const x = normal(rng, xShape);
      const f = normal(rng, fShape);
      const w = normal(rng, info.outShape);
      const run = () => {
        const xt = tf.tensor4d(x, xShape as never);
        const ft = tf.tensor4d(f, fShape as never);
        const wt = tf.tensor4d(w, info.outShape);
        const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad as never), wt));
        const [dx, df] = tf.grads(loss)([xt, ft]);
        return { dx: values(dx!), df: values(df!) };
      };
      const expected = await on('cpu', run);
      const actual = await on('wasm', run);
      const label = JSON.stringify(c);
      expect(relativeError(actual.df, expected.df), `filter gradient ${label}`).toBeLessThan(1e-5);
      expect(relativeError(actual.dx, expected.dx), `input gradient ${label}`).toBeLessThan(1e-5);
    }
  });

  it('matches the cpu backend as a raw kernel, NHWC and NCHW, any dy', async () => {
    const rng = new Rng(6);
    for (const c of cases.slice(0, 16)) {
      for (const dataFormat of ['NHWC', 'NCHW'] as const) {
        const nhwc = [c.batch, c.height, c.width, c.inC];
        const filterShape = [c.k, c.k, c.inC, c.outC];
        const info = tf.backend_util.computeConv2DInfo(nhwc as never, filterShape as never, c.stride, 1, c.pad);
        const xShape = dataFormat === 'NHWC' ? nhwc : [c.batch, c.inC, c.height, c.width];
        const dyShape = dataFormat === 'NHWC' ? info.outShape : [c.batch, c.outC, info.outHeight, info.outWidth];
        const pad = Array.isArray(c.pad) && dataFormat === 'NCHW' ? [c.pad[0], c.pad[3], c.pad[1], c.pad[2]] : c.pad;
        const x = normal(rng, xShape);
        const dy = normal(rng, dyShape);
        const run = () =>
          values(
            tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, xShape), dy: tf.tensor(dy, dyShape) }, {
              strides: c.stride,
              pad,
              dataFormat,
              filterShape,
            } as never) as tf.Tensor,
          );
        const expected = await on('cpu', run);
        const actual = await on('wasm', run);
        expect(relativeError(actual, expected), `${dataFormat} ${JSON.stringify(c)}`).toBeLessThan(1e-5);
      }
    }
  });

  it('splits big batches into chunks and sums them (same result)', async () => {
    const rng = new Rng(7);
    for (const [k, stride, pad] of [
      [3, 2, 'same'],
      [1, 2, 'valid'],
      [3, 1, 'valid'],
    ] as const) {
      const xShape = [5, 6, 7, 3];
      const filterShape = [k, k, 3, 4] as [number, number, number, number];
      const info = tf.backend_util.computeConv2DInfo(xShape as never, filterShape, stride, 1, pad);
      const x = normal(rng, xShape);
      const dy = normal(rng, info.outShape);
      const attrs = { strides: stride, pad, dataFormat: 'NHWC', filterShape };
      const expected = await on('cpu', () =>
        values(tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, xShape), dy: tf.tensor(dy, info.outShape) }, attrs as never) as tf.Tensor),
      );
      const buffers = await on('wasm', () => wasmDataIds());
      for (const maxChunkElements of [1, 2 * 6 * 7 * 3, 1 << 24]) {
        const actual = await on('wasm', () => {
          const inputs = { x: tf.tensor(x, xShape), dy: tf.tensor(dy, info.outShape) };
          const result = conv2DBackpropFilterChunked({ inputs, backend: tf.backend() as never, attrs: attrs as never }, maxChunkElements);
          return values(tf.engine().makeTensorFromTensorInfo(result));
        });
        expect(relativeError(actual, expected), `${k}x${k} stride ${stride} chunk ${maxChunkElements}`).toBeLessThan(1e-5);
        expect(wasmDataIds()).toBe(buffers);
      }
    }
  });

  it('agrees with central finite differences of the wasm forward conv', async () => {
    const rng = new Rng(8);
    const xShape = [2, 7, 6, 3];
    const fShape = [3, 3, 3, 2];
    const x = normal(rng, xShape);
    const f = normal(rng, fShape);
    const w = normal(rng, [2, 4, 3, 2]);
    await initBackend({ backend: 'wasm' });
    const lossAt = (filter: Float32Array) =>
      tf.tidy(() => {
        const out = tf.conv2d(tf.tensor4d(x, xShape as never), tf.tensor4d(filter, fShape as never), 2, 'same');
        // The loss in float64 from the float32 outputs.
        const o = values(out);
        let sum = 0;
        for (let i = 0; i < o.length; i++) sum += (o[i] as number) * (w[i] as number);
        return sum;
      });
    const analytic = tf.tidy(() =>
      values(
        tf.grad((filter: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(tf.tensor4d(x, xShape as never), filter as tf.Tensor4D, 2, 'same'), tf.tensor4d(w, [2, 4, 3, 2]))),
        )(tf.tensor4d(f, fShape as never)),
      ),
    );
    const eps = 1e-2;
    const numeric = new Float64Array(f.length);
    for (let i = 0; i < f.length; i++) {
      const plus = f.slice();
      const minus = f.slice();
      plus[i]! += eps;
      minus[i]! -= eps;
      numeric[i] = (lossAt(plus) - lossAt(minus)) / (2 * eps);
    }
    expect(relativeError(analytic, numeric)).toBeLessThan(1e-3);
  });
});

describe('Conv2DBackpropInput on wasm (split by output phase)', () => {
  it('matches the cpu backend as a raw kernel: strides 1-3, kernels 1-4 (not square), any padding, NCHW', async () => {
    const rng = new Rng(12);
    const pads: Pad[] = [
      'same',
      'valid',
      0,
      1,
      2,
      [
        [0, 0],
        [1, 2],
        [0, 1],
        [0, 0],
      ],
      [
        [0, 0],
        [3, 0],
        [0, 3],
        [0, 0],
      ],
    ];
    let tested = 0;
    while (tested < 80) {
      const batch = rng.intRange(1, 2);
      const [height, width] = [rng.intRange(2, 10), rng.intRange(2, 10)];
      const [inC, outC] = [rng.intRange(1, 5), rng.intRange(1, 5)];
      const [kh, kw] = [rng.intRange(1, 4), rng.intRange(1, 4)];
      const strides: [number, number] = [rng.intRange(1, 3), rng.intRange(1, 3)];
      const pad = rng.choice(pads);
      const dataFormat = tested % 8 === 7 ? 'NCHW' : 'NHWC';
      const inputShape = [batch, height, width, inC] as [number, number, number, number];
      const filterShape = [kh, kw, inC, outC] as [number, number, number, number];
      const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad);
      if (info.outHeight < 1 || info.outWidth < 1) continue;
      if (dataFormat === 'NCHW' && typeof pad === 'object') continue;
      tested++;
      const dyShape = dataFormat === 'NHWC' ? info.outShape : [batch, outC, info.outHeight, info.outWidth];
      const shape = dataFormat === 'NHWC' ? inputShape : [batch, inC, height, width];
      const dy = normal(rng, dyShape);
      const filter = normal(rng, filterShape);
      const run = () =>
        values(
          tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(dy, dyShape), filter: tf.tensor(filter, filterShape) }, {
            inputShape: shape,
            strides,
            pad,
            dataFormat,
          } as never) as tf.Tensor,
        );
      const expected = await on('cpu', run);
      const actual = await on('wasm', run);
      const label = JSON.stringify({ inputShape, filterShape, strides, pad, dataFormat });
      expect(relativeError(actual, expected), label).toBeLessThan(1e-5);
    }
  });
});

describe('UnsortedSegmentSum on wasm', () => {
  it('matches the cpu backend, dropping ids outside [0, numSegments)', async () => {
    const rng = new Rng(21);
    for (const [rows, inner, numSegments] of [
      [1, [3], 2],
      [17, [5], 6],
      [40, [2, 3], 9],
      [64, [], 10],
      [30, [8], 1],
    ] as [number, number[], number][]) {
      const x = normal(rng, [rows, ...inner]);
      const ids = Int32Array.from({ length: rows }, () => rng.intRange(-2, numSegments + 1));
      const run = () => values(tf.unsortedSegmentSum(tf.tensor(x, [rows, ...inner]), tf.tensor1d(ids, 'int32'), numSegments));
      const expected = await on('cpu', run);
      const actual = await on('wasm', run);
      expect(actual.length).toBe(numSegments * size(inner));
      expect(relativeError(actual, expected)).toBeLessThan(1e-6);
    }
  });

  it('takes ids matching several leading dimensions of x (TensorFlow semantics)', async () => {
    const rng = new Rng(22);
    const x = normal(rng, [4, 5, 3]);
    const ids = Int32Array.from({ length: 20 }, () => rng.intRange(-1, 6));
    await initBackend({ backend: 'wasm' });
    const [actual, flattened] = tf.tidy(() => [
      values(tf.unsortedSegmentSum(tf.tensor3d(x, [4, 5, 3]), tf.tensor2d(ids, [4, 5], 'int32') as unknown as tf.Tensor1D, 6)),
      values(tf.unsortedSegmentSum(tf.tensor2d(x, [20, 3]), tf.tensor1d(ids, 'int32'), 6)),
    ]);
    const expected = await on('cpu', () => values(tf.unsortedSegmentSum(tf.tensor2d(x, [20, 3]), tf.tensor1d(ids, 'int32'), 6)));
    expect(Array.from(actual)).toEqual(Array.from(flattened));
    expect(relativeError(actual, expected)).toBeLessThan(1e-6);
  });

  it('gives the gradient of gather (repeated indices, axis 0 and 1) as the cpu backend does', async () => {
    const rng = new Rng(23);
    const table = normal(rng, [12, 6]);
    const indices = Int32Array.from({ length: 25 }, () => rng.int(12));
    const columns = Int32Array.from([5, 0, 5, 2, 2, 2]);
    const w0 = normal(rng, [25, 6]);
    const w1 = normal(rng, [12, 6]);
    const run = () => {
      const weights = tf.tensor2d(table, [12, 6]);
      const g0 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(indices, 'int32')), tf.tensor2d(w0, [25, 6]))))(weights);
      const g1 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(columns, 'int32'), 1), tf.tensor2d(w1, [12, 6]))))(weights);
      return [values(g0), values(g1)];
    };
    const expected = await on('cpu', run);
    const actual = await on('wasm', run);
    expect(relativeError(actual[0]!, expected[0]!)).toBeLessThan(1e-6);
    expect(relativeError(actual[1]!, expected[1]!)).toBeLessThan(1e-6);
  });
});

describe('depthwise convolution gradients on wasm', () => {
  it('match the cpu backend (channel multiplier 1 and 2, strides 1/2, same/valid/explicit)', async () => {
    const rng = new Rng(31);
    for (const multiplier of [1, 2]) {
      for (const stride of [1, 2]) {
        for (const pad of ['same', 'valid', 1] as const) {
          for (const k of [1, 3]) {
            const xShape = [2, 7, 8, 3];
            const fShape = [k, k, 3, multiplier];
            const info = tf.backend_util.computeConv2DInfo(xShape as never, fShape as never, stride, 1, pad, undefined, true);
            const x = normal(rng, xShape);
            const f = normal(rng, fShape);
            const w = normal(rng, info.outShape);
            const run = () => {
              const loss = (a: tf.Tensor, b: tf.Tensor) =>
                tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), tf.tensor4d(w, info.outShape)));
              const [dx, df] = tf.grads(loss)([tf.tensor4d(x, xShape as never), tf.tensor4d(f, fShape as never)]);
              return { dx: values(dx!), df: values(df!) };
            };
            const expected = await on('cpu', run);
            const actual = await on('wasm', run);
            const label = JSON.stringify({ multiplier, stride, pad, k });
            expect(relativeError(actual.df, expected.df), `filter ${label}`).toBeLessThan(1e-5);
            expect(relativeError(actual.dx, expected.dx), `input ${label}`).toBeLessThan(1e-5);
          }
        }
      }
    }
  });
});

describe('no leaks on wasm', () => {
  it('the kernels free every intermediate (tensors and heap buffers)', async () => {
    await initBackend({ backend: 'wasm' });
    const rng = new Rng(41);
    const x = tf.tensor4d(normal(rng, [2, 9, 9, 4]), [2, 9, 9, 4]);
    const f3 = tf.tensor4d(normal(rng, [3, 3, 4, 5]), [3, 3, 4, 5]);
    const f1 = tf.tensor4d(normal(rng, [1, 1, 4, 5]), [1, 1, 4, 5]);
    const fd = tf.tensor4d(normal(rng, [3, 3, 4, 2]), [3, 3, 4, 2]);
    const table = tf.tensor2d(normal(rng, [10, 4]), [10, 4]);
    const indices = tf.tensor1d([1, 3, 3, 9], 'int32');
    const step = () => {
      const grads = [
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([x, f3]),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'))))([x, f3]),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'valid'))))([x, f1]),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'))))([x, f1]),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([x, fd]),
        tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, indices))))(table),
      ];
      for (const g of grads) g.dataSync();
      tf.dispose(grads);
    };
    step(); // first use creates lazily initialised state
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const buffers = wasmDataIds();
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numBytes).toBe(bytes);
    expect(wasmDataIds()).toBe(buffers);
    tf.dispose([x, f3, f1, fd, table, indices]);
  });
});

describe('one IResNet-style block trains on wasm', () => {
  // BN(moments) -> conv3x3 -> BN -> PReLU -> conv3x3 stride 2 -> BN, plus a 1x1 stride-2 shortcut.
  const batch = 4;
  const size = 8;
  const channels = 4;
  const out = 8;
  const rng = new Rng(2021);
  const data = {
    x: normal(rng, [batch, size, size, channels]),
    target: normal(rng, [batch, size / 2, size / 2, out]),
    conv1: rng.fillNormal(new Float32Array(9 * channels * out), 0, Math.sqrt(2 / (9 * channels))),
    conv2: rng.fillNormal(new Float32Array(9 * out * out), 0, Math.sqrt(2 / (9 * out))),
    down: rng.fillNormal(new Float32Array(channels * out), 0, Math.sqrt(2 / channels)),
  };
  const names = ['bn1Gamma', 'bn1Beta', 'conv1', 'bn2Gamma', 'bn2Beta', 'prelu', 'conv2', 'bn3Gamma', 'bn3Beta', 'down'] as const;

  function makeParams(): Record<(typeof names)[number], tf.Variable> {
    const v = (t: tf.Tensor) => tf.variable(t, true);
    return {
      bn1Gamma: v(tf.ones([channels])),
      bn1Beta: v(tf.zeros([channels])),
      conv1: v(tf.tensor4d(data.conv1, [3, 3, channels, out])),
      bn2Gamma: v(tf.ones([out])),
      bn2Beta: v(tf.zeros([out])),
      prelu: v(tf.fill([out], 0.25)),
      conv2: v(tf.tensor4d(data.conv2, [3, 3, out, out])),
      bn3Gamma: v(tf.ones([out])),
      bn3Beta: v(tf.zeros([out])),
      down: v(tf.tensor4d(data.down, [1, 1, channels, out])),
    };
  }

  function lossOf(params: ReturnType<typeof makeParams>, x: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
    const bn = (h: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D => {
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      return tf.batchNorm4d(h, mean as tf.Tensor1D, variance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-5);
    };
    let h = bn(x, params.bn1Gamma, params.bn1Beta);
    h = tf.conv2d(h, params.conv1 as tf.Tensor4D, 1, 'same');
    h = tf.prelu(bn(h, params.bn2Gamma, params.bn2Beta), params.prelu as tf.Tensor as tf.Tensor4D);
    h = bn(tf.conv2d(h, params.conv2 as tf.Tensor4D, 2, 'same'), params.bn3Gamma, params.bn3Beta);
    const shortcut = tf.conv2d(x, params.down as tf.Tensor4D, 2, 'valid');
    return tf.losses.meanSquaredError(target, tf.add(h, shortcut));
  }

  async function firstStepGradients(backend: Backend): Promise<Record<string, Float32Array>> {
    await initBackend({ backend });
    const params = makeParams();
    const x = tf.tensor4d(data.x, [batch, size, size, channels]);
    const target = tf.tensor4d(data.target, [batch, size / 2, size / 2, out]);
    const { grads } = tf.variableGrads(
      () => lossOf(params, x, target),
      names.map((n) => params[n]),
    );
    const result: Record<string, Float32Array> = {};
    for (const n of names) result[n] = values(grads[params[n].name]!);
    tf.dispose([x, target, ...Object.values(grads), ...Object.values(params)]);
    return result;
  }

  it('its first-step gradients equal the cpu backend (relative 1e-4)', async () => {
    const expected = await firstStepGradients('cpu');
    const actual = await firstStepGradients('wasm');
    for (const n of names) {
      expect(relativeError(actual[n]!, expected[n]!), n).toBeLessThan(1e-4);
    }
  });

  it('momentum SGD makes the loss fall, without leaking', async () => {
    await initBackend({ backend: 'wasm' });
    const params = makeParams();
    const x = tf.tensor4d(data.x, [batch, size, size, channels]);
    const target = tf.tensor4d(data.target, [batch, size / 2, size / 2, out]);
    const optimizer = tf.train.momentum(0.05, 0.9);
    const losses: number[] = [];
    let tensorsAfterFirst = 0;
    for (let step = 0; step < 6; step++) {
      const loss = optimizer.minimize(() => lossOf(params, x, target), true)!;
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
      if (step === 0) tensorsAfterFirst = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.9);
    optimizer.dispose();
    tf.dispose([x, target, ...Object.values(params)]);
  });
});
