// tfjs-core ships its gradient functions and chained ops (x.mul(y)) only as extensionless ESM
// files that Node cannot load; @tensorflow/tfjs bundles them into its own build, and so do we
// (tsup inlines these imports, see tsup.config.ts). They register into tfjs's global registries,
// so the public tfjs-core and this copy share one engine and one gradient table.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
