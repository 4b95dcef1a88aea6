import type { CommandDefinition } from '../command';
import { dataCommand } from './data';
import { demoCommand } from './demo';
import { distillCommand } from './distill';
import { evalCommand } from './eval';
import { exportCommand } from './export';
import { maskCommand } from './mask';
import { planCommand } from './plan';
import { replicateCommand } from './replicate';
import { trainCommand } from './train';
import { zooCommand } from './zoo';

/** Every top-level command, in help order. */
export const COMMANDS: CommandDefinition[] = [
  trainCommand,
  distillCommand,
  evalCommand,
  maskCommand,
  dataCommand,
  exportCommand,
  zooCommand,
  planCommand,
  demoCommand,
  replicateCommand,
];
