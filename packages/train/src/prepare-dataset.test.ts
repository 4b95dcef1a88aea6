import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSynthFaces } from '@bigface/data';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveTrainConfig } from './config';
import { prepareDataset } from './prepare-dataset';

const root = mkdtempSync(path.join(tmpdir(), 'bigface-prepare-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('prepareDataset', () => {
  it('holds out the last identities of a RecordIO set and trains on the rest', async () => {
    await generateSynthFaces({ identities: 4, imagesPerIdentity: 2, seed: 1, directory: root });
    const config = resolveTrainConfig({ data: { source: 'recordio', path: path.join(root, 'train.rec') }, evaluation: { heldOutIdentities: 1 } });
    const prepared = await prepareDataset(config);
    expect(prepared.numClasses).toBe(3);
    expect([...prepared.trainIndices]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...prepared.heldOutIndices]).toEqual([6, 7]);
    expect([...prepared.heldOutLabels]).toEqual([3, 3]);
    await expect(prepareDataset(resolveTrainConfig({ ...config, evaluation: { heldOutIdentities: 3 } }))).rejects.toMatchObject({ code: 'DATA_TOO_SMALL' });
    await expect(prepareDataset(resolveTrainConfig({ data: { source: 'recordio', path: path.join(root, 'missing.rec') } }))).rejects.toMatchObject({
      code: 'DATA_NOT_FOUND',
    });
  });
});
