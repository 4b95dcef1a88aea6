export { run, mainHelp } from './run';
export { processIo, memoryIo, type CliIo, type TextSink } from './cli-io';
export { ERROR_CLASSES, EXIT_CODES, exitCodeFor, type ErrorClass, type ExitCode } from './exit-codes';
export { didYouMean, editDistance } from './did-you-mean';
export { Reporter, type Progress } from './reporter';
export { parseCommandArguments, type ParsedArguments } from './parse-command-arguments';
export type { CommandDefinition, CommandContext, OptionSpec } from './command';
export { formatHelp } from './help-text';
export { COMMANDS } from './commands/index';
export { PRESETS, WEBFACE42M, type Preset } from './config/presets';
export { loadConfigSource } from './config/load-config-source';
export { applySetOverride } from './config/apply-set-override';
export { deepMerge } from './config/deep-merge';
export { resolveCliConfig, type CliConfigSources } from './config/resolve-cli-config';
// The memory planner lives in @bigface/train (the CLI only formats it); re-exported here for callers of 0.x.
export {
  planActivations,
  planMemory,
  memoryBreakdown,
  parseByteSize,
  type ActivationPlan,
  type PlanMemoryOptions,
  type MemoryPlan,
  type MemoryBreakdown,
  type MemorySwitches,
} from '@bigface/train';
export { formatBytes } from './format-bytes';
export { zooRows, type ZooRow } from './commands/zoo';
export { chooseMasked } from './commands/mask';
export { distillationVerdictText, type ProtocolFnmr } from './report/distillation-verdict-text';
export { demoCommand, DEMO_PLANS, type DemoPlan } from './commands/demo';
