import { z } from 'zod';
import { absolutePath, text } from '../checks/check-method.js';
import { ensureLine, fileEditStep, setConfigLine } from './file-edit.js';
import type { Mechanism } from './step.js';

const configSetFields = z.strictObject({
  mechanism: z.literal('config_set'),
  path: absolutePath,
  key: z.string().min(1),
  value: text,
  /** Written between key and value: " " (default) or "=" / " = ". */
  separator: z.string().min(1).default(' '),
});

/** config_set: every active line of the key in a configuration file set to the value, or the line appended. */
export const configSet: Mechanism<z.infer<typeof configSetFields>> = {
  fields: configSetFields,
  steps: (f) => [
    fileEditStep('config_set', f.path, `set ${f.key} to ${f.value} in ${f.path}`, (content) =>
      setConfigLine(content, f.key, `${f.key}${f.separator}${f.value}`, f.separator),
    ),
  ],
};

const fileLineFields = z.strictObject({ mechanism: z.literal('file_line'), path: absolutePath, line: z.string().min(1) });

/** file_line: a line present in a file (an audit rule in rules.d, `install cramfs /bin/false` in modprobe.d). */
export const fileLine: Mechanism<z.infer<typeof fileLineFields>> = {
  fields: fileLineFields,
  steps: (f) => [fileEditStep('file_line', f.path, `add "${f.line}" to ${f.path}`, (content) => ensureLine(content, f.line))],
};
