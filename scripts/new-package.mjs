#!/usr/bin/env node
// Scaffolds packages/<name> with the house layout: tsup (ESM + CJS + d.ts), an exports map,
// vitest defineProject, a strict tsconfig, a README stub. Usage: node scripts/new-package.mjs <name> "<one sentence>"
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, description = ''] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: node scripts/new-package.mjs <kebab-name> "<one sentence>"');
  process.exit(2);
}
const dir = join('packages', name);
if (existsSync(dir)) {
  console.error(`${dir} exists already: nothing written`);
  process.exit(2);
}
mkdirSync(join(dir, 'src'), { recursive: true });
mkdirSync(join(dir, 'test'), { recursive: true });
const pkg = {
  name: `@bigface/${name}`,
  version: '0.0.0',
  description,
  license: 'Apache-2.0',
  type: 'module',
  sideEffects: false,
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.ts',
  exports: {
    '.': {
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  files: ['dist', 'README.md', 'CHANGELOG.md', 'LICENSE'],
  engines: { node: '>=20.19' },
  scripts: {
    build: 'tsup',
    test: 'vitest run',
    typecheck: 'tsc -p tsconfig.json --noEmit',
  },
  publishConfig: { access: 'public' },
  repository: { type: 'git', url: 'https://github.com/bigface-ts/bigface-ts', directory: dir },
};
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(join(dir, 'tsup.config.ts'), "import { packageConfig } from '../../tsup.base';\n\nexport default packageConfig();\n");
writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src', 'test', 'bench', '*.ts'] }, null, 2)}\n`);
writeFileSync(
  join(dir, 'vitest.config.ts'),
  `import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '${name}',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
`,
);
writeFileSync(join(dir, 'src', 'index.ts'), 'export {};\n');
copyFileSync('LICENSE', join(dir, 'LICENSE'));
writeFileSync(join(dir, 'README.md'), `# @bigface/${name}\n\n${description}\n`);
console.log(`created ${dir}`);
