// One rank of the MPI bench cases (started by run.mjs under mpirun): trains the config from argv[2];
// rank 0 prints its timed step events (after the 2 warm-up steps) as one JSON array line.
import { train } from '@bigface/train';

const timed = [];
await train(JSON.parse(process.argv[2]), { onEvent: (event) => event.type === 'step' && event.step > 2 && timed.push(event) });
if (Number(process.env.OMPI_COMM_WORLD_RANK ?? 0) === 0) console.log(JSON.stringify(timed));
