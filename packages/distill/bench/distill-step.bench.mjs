// One BigFace distillation step (student forward + CosFace + 9·angular distillation + backward +
// SGD update) with a live tiny teacher forward versus reading the teacher's embeddings from a
// TeacherEmbeddingCache built once beforehand. Tiny conv nets stand in for the backbones; the ratio
// teacher cost / student cost decides the gain (ResNet600 teacher vs ResNet240 student: larger).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, initBackend, tf } from '@bigface/backend';
import { cosFace, maskedSoftmaxCrossEntropy, normalizedCosine } from '@bigface/margin-losses';
import { TeacherEmbeddingCache, bigFaceDistillObjective, frozenTeacher } from '@bigface/distill';

const backend = process.env.BIGFACE_BACKEND ?? 'wasm';
await initBackend({ backend });
const rng = new Rng(0);
const imageSize = 56;
const batch = 32;
const datasetSize = 256;
const embeddingSize = 128;
const numClasses = 100;
const steps = 8;

/** A plain conv net: stride-2 3×3 convs with ReLU, global average pool, linear to the embedding. */
function convNet(widths, name) {
  const weights = [];
  let channels = 3;
  for (const width of widths) {
    weights.push(
      tf.variable(tf.randomNormal([3, 3, channels, width], 0, Math.sqrt(2 / (9 * channels)), 'float32', rng.int(1e9)), true, `${name}.conv${weights.length}`),
    );
    channels = width;
  }
  const fc = tf.variable(tf.randomNormal([channels, embeddingSize], 0, Math.sqrt(1 / channels), 'float32', rng.int(1e9)), true, `${name}.fc`);
  const apply = (images) =>
    tf.tidy(() => {
      let x = images;
      for (const w of weights) x = tf.relu(tf.conv2d(x, w, 2, 'same'));
      return tf.matMul(tf.mean(x, [1, 2]), fc);
    });
  return { apply, variables: [...weights, fc] };
}

const teacher = convNet([32, 64, 128, 256], 'teacher');
const student = convNet([16, 32, 64], 'student');
const centres = tf.variable(tf.randomNormal([numClasses, embeddingSize], 0, 0.01, 'float32', 7), true, 'centres');
const images = tf.randomUniform([datasetSize, imageSize, imageSize, 3], -1, 1, 'float32', 3);
const labels = Int32Array.from({ length: datasetSize }, (_, i) => (i % 3 === 0 ? -1 : rng.int(numClasses))); // 1/3 unlabeled
const optimizer = tf.train.sgd(0.01);
const trainable = [...student.variables, centres];

function step(start, teacherEmbeddings) {
  const ids = Array.from({ length: batch }, (_, k) => (start + k) % datasetSize);
  const batchImages = tf.gather(images, ids);
  const batchLabels = tf.tensor1d(
    ids.map((i) => labels[i]),
    'int32',
  );
  const targets = teacherEmbeddings(batchImages, ids);
  const loss = optimizer.minimize(
    () => {
      const embeddings = student.apply(batchImages);
      const classificationLoss = maskedSoftmaxCrossEntropy(cosFace()(normalizedCosine(embeddings, centres), batchLabels), batchLabels);
      return bigFaceDistillObjective({ classificationLoss, student: embeddings, teacher: targets }).loss;
    },
    true,
    trainable,
  );
  const value = loss.dataSync()[0];
  tf.dispose([batchImages, batchLabels, targets, loss]);
  return value;
}

function timeSteps(teacherEmbeddings) {
  step(0, teacherEmbeddings); // warm-up
  const begin = performance.now();
  for (let s = 1; s <= steps; s += 1) step(s * batch, teacherEmbeddings);
  return (performance.now() - begin) / steps;
}

const liveTeacher = frozenTeacher((x) => teacher.apply(x)); // eval mode, off the tape
const live = timeSteps((batchImages) => liveTeacher(batchImages));
const directory = mkdtempSync(join(tmpdir(), 'bigface-distill-bench-'));
const path = join(directory, 'teacher.safetensors');
const buildBegin = performance.now();
function* dataset() {
  for (let start = 0; start < datasetSize; start += batch) {
    const ids = Array.from({ length: Math.min(batch, datasetSize - start) }, (_, k) => start + k);
    yield { ids, images: tf.slice(images, [start, 0, 0, 0], [ids.length, -1, -1, -1]) };
  }
}
await TeacherEmbeddingCache.build({ teacher: (x) => teacher.apply(x), dataset: dataset(), path, teacherName: 'tiny-teacher' });
const buildMs = performance.now() - buildBegin;
const cache = TeacherEmbeddingCache.load(path, { expectedCount: datasetSize, expectedEmbeddingSize: embeddingSize });
const cached = timeSteps((_, ids) => cache.lookup(ids));
cache.close();
rmSync(directory, { recursive: true, force: true });
const base = { bench: 'distill-step', backend, batch, imageSize, embeddingSize, teacherWidths: [32, 64, 128, 256], studentWidths: [16, 32, 64], steps };
console.log(JSON.stringify({ ...base, teacher: 'live', msPerStep: Math.round(live) }));
console.log(
  JSON.stringify({
    ...base,
    teacher: 'cache',
    msPerStep: Math.round(cached),
    cacheBuildMs: Math.round(buildMs),
    cacheSamples: datasetSize,
    speedup: Number((live / cached).toFixed(2)),
  }),
);
