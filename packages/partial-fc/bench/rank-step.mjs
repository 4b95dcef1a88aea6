// One rank of the PartialFC benchmark: builds its shard, warms up, then times forward+backward
// (centre and embedding gradients) and records the tfjs peak bytes of one step (tf.profile).
import { initBackend, tf } from '@bigface/backend';
import { PartialFC } from '@bigface/partial-fc';

export default async function rankStep(communicator, { numClasses, embeddingSize, batch, repeats, backend }) {
  await initBackend({ backend });
  const head = new PartialFC({ numClasses, embeddingSize, communicator, seed: 1 });
  const embeddings = tf.randomNormal([batch, embeddingSize], 0, 1, 'float32', communicator.rank);
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7919 + communicator.rank * 104729) % numClasses);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => head.forward(embeddings, labels).loss, [head.weight]);
    const out = [value, ...Object.values(grads)];
    out[0].dataSync();
    tf.dispose(out);
  };
  step();
  const profile = await tf.profile(step);
  const largestKernelOutput = Math.max(...profile.kernels.map((k) => k.outputShapes.reduce((m, s) => Math.max(m, (s ?? []).reduce((a, b) => a * b, 1)), 0)));
  communicator.barrier();
  const start = performance.now();
  for (let i = 0; i < repeats; i++) step();
  const msPerStep = (performance.now() - start) / repeats;
  const result = { peakBytes: profile.peakBytes, largestKernelOutput, msPerStep, shardRows: head.shard.count };
  embeddings.dispose();
  head.dispose();
  return result;
}
