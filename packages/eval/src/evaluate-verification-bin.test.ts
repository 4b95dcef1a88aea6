import { initBackend, tf } from '@bigface/backend';
import { readVerificationBin } from '@bigface/data';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceFile, tinyBinReference } from '../../../test-support/reference';
import { evaluateVerificationBin } from './evaluate-verification-bin';
import { verificationReportRow } from './verification-report-row';
import { verificationReportTable } from './verification-report-table';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('evaluateVerificationBin', () => {
  it('runs tiny.bin end to end under the standard, masked and masked-both protocols', async () => {
    const path = referenceFile('tiny.bin');
    // What CPython's pickle.load finds in the file (tiny-bin.json).
    const expectedBin = tinyBinReference();
    const { pairs } = expectedBin;
    // The embedding below pools 14×14 blocks of the 112×112 aligned faces insightface's .bin files hold.
    expect(
      expectedBin.images.map((image) => [image.width, image.height]),
      'tiny.bin must hold 112×112 faces',
    ).toEqual(expectedBin.images.map(() => [112, 112]));
    // A fixed random projection of 8×8-pooled pixels stands in for a backbone.
    const projection = tf.randomNormal([8 * 8 * 3, 16], 0, 1, 'float32', 5);
    const embed = (x: tf.Tensor4D): tf.Tensor2D => tf.tidy(() => tf.matMul(tf.reshape(tf.avgPool(x, 14, 14, 'valid'), [x.shape[0], -1]), projection));
    const before = tf.memory().numTensors;
    const report = await evaluateVerificationBin(embed, path, { protocols: ['standard', 'masked', 'masked-both'], folds: 2, batchSize: 3, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.pairs).toBe(pairs);
    expect(report.issame).toEqual(expectedBin.issame);
    const { timings } = report;
    for (const stage of ['readMilliseconds', 'decodeMilliseconds', 'maskMilliseconds', 'embedMilliseconds', 'metricsMilliseconds'] as const)
      expect(timings[stage]).toBeGreaterThan(0);
    const protocolReports = Object.values(report.protocols);
    expect(timings.embedMilliseconds).toBeCloseTo(
      protocolReports.reduce((sum, r) => sum + r.timings.embedMilliseconds, 0),
      6,
    );
    expect(timings.metricsMilliseconds).toBeCloseTo(
      protocolReports.reduce((sum, r) => sum + r.timings.metricsMilliseconds, 0),
      6,
    );

    // Independently: decode with sharp, normalise, embed x and its mirror, normalise the sum, cosine in float64.
    const { images: jpegs } = await readVerificationBin(path);
    const pixels = await Promise.all(jpegs.map((jpeg) => sharp(jpeg).removeAlpha().raw().toBuffer()));
    const rows = tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(pixels.flatMap((buffer) => Array.from(buffer, (value) => value / 127.5 - 1))), [2 * pairs, 112, 112, 3]);
      return tf.add(embed(x), embed(tf.reverse(x, 2))).arraySync() as number[][];
    });
    const unit = rows.map((row) => row.map((value) => value / Math.hypot(...row)));
    const expected = Array.from({ length: pairs }, (_, pair) => unit[2 * pair]!.reduce((sum, value, k) => sum + value * unit[2 * pair + 1]![k]!, 0));
    const standard = report.protocols.standard!;
    expected.forEach((cosine, pair) => {
      expect(standard.scores[pair]).toBeCloseTo(cosine, 5);
    });

    // Masking the probe face changes every pair's score; masking both changes it again. The scores
    // are float32 cosines (|score| ≤ 1, rounding noise ~1e-7): 1e-4 is 1000 times the noise, and a
    // mask over the lower third of a face moves a pixel-pooling embedding far more than that.
    const masked = report.protocols.masked!;
    const maskedBoth = report.protocols['masked-both']!;
    for (let pair = 0; pair < pairs; pair += 1) {
      expect(Math.abs(masked.scores[pair]! - standard.scores[pair]!)).toBeGreaterThan(1e-4);
      expect(Math.abs(maskedBoth.scores[pair]! - masked.scores[pair]!)).toBeGreaterThan(1e-4);
    }

    // FNMR at FMR 1e-4 needs 1/1e-4 = 10000 impostor pairs: a tiny .bin (a few MiB at most) has far
    // fewer, and the Table-2 row says so instead of a number.
    const impostors = expectedBin.issame.filter((same) => !same).length;
    expect(impostors, 'tiny.bin is meant to be tiny: fewer than 10000 impostor pairs').toBeLessThan(10_000);
    const row = verificationReportRow('toy', report.protocols);
    expect(row.masked).toMatchObject({ value: `not enough impostor pairs for FMR 1e-4 (have ${impostors}, need ≥ 10000)` });
    expect(verificationReportTable([row])).toContain('| toy | n/a [1] | n/a [2] |');
    projection.dispose();
  });

  it('explains a missing file', async () => {
    await expect(evaluateVerificationBin((x) => tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D, '/nonexistent/lfw.bin')).rejects.toThrow(
      /cannot read '\/nonexistent\/lfw.bin'/,
    );
  });
});
