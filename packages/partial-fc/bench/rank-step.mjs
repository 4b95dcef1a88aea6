// One rank of the PartialFC benchmark: builds its shard, warms up, then times one step and records
// its tfjs peak bytes (tf.profile). step 'forward-backward': the loss and the centre gradient;
// step 'train': that and a LARS update of the shard (momentum kept with the shard, global norms
// all-reduced), as in training.
import { initBackend, tf } from '@bigface/backend';
import { LARSOptimizer } from '@bigface/lars';
import { PartialFC } from '@bigface/partial-fc';

export default async function rankStep(communicator, { numClasses, embeddingSize, batch, repeats, backend, step: stepKind }) {
  await initBackend({ backend });
  const head = new PartialFC({ numClasses, embeddingSize, communicator, seed: 1 });
  const embeddings = tf.randomNormal([batch, embeddingSize], 0, 1, 'float32', communicator.rank);
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7919 + communicator.rank * 104729) % numClasses);
  const optimizer =
    stepKind === 'train'
      ? new LARSOptimizer({
          learningRate: 0.01,
          momentum: 0.9,
          weightDecay: 5e-4,
          reduceSquaredNorms: (_variable, squared) => communicator.allReduce(squared, 'sum'),
        })
      : undefined;
  const step = () => {
    const { value, grads } = tf.variableGrads(() => head.forward(embeddings, labels).loss, [head.weight]);
    value.dataSync();
    optimizer?.applyGradients(grads);
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  const profile = await tf.profile(step);
  const largestKernelOutput = Math.max(
    ...profile.kernels.map((k) =>
      k.outputShapes.reduce(
        (m, s) =>
          Math.max(
            m,
            (s ?? []).reduce((a, b) => a * b, 1),
          ),
        0,
      ),
    ),
  );
  communicator.barrier();
  const start = performance.now();
  for (let i = 0; i < repeats; i++) step();
  const msPerStep = (performance.now() - start) / repeats;
  const result = { peakBytes: profile.peakBytes, largestKernelOutput, msPerStep, shardRows: head.shard.count };
  embeddings.dispose();
  optimizer?.dispose();
  head.dispose();
  return result;
}
