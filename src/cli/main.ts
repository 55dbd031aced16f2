import { CommanderError } from 'commander';
import { reportCliError } from './cli-error.js';
import { buildProgram } from './program.js';

try {
  await (await buildProgram(process.argv.slice(2))).parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode;
  else process.exitCode = reportCliError(err);
}
