import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { configSchema, secretKeys, type RampartConfig } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Path to a TOML file; when absent, ./rampart.toml is read if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Overrides from CLI flags, as dotted keys ("server.listen"). */
  overrides?: Record<string, unknown>;
  cwd?: string;
}

type Raw = Record<string, unknown>;

/** Reads file, env and overrides (each over the previous) and validates the result. */
export function loadConfig(opts: LoadConfigOptions = {}): RampartConfig {
  const cwd = opts.cwd ?? process.cwd();
  const raw: Raw = readConfigFile(opts.file, cwd);
  for (const [key, value] of Object.entries(envOverrides(opts.env ?? process.env))) setDotted(raw, key, value);
  for (const [key, value] of Object.entries(opts.overrides ?? {})) if (value !== undefined) setDotted(raw, key, value);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]].join('.') : issue.path.join('.');
    throw new ConfigError(key || '(root)', issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message);
  }
  return { ...parsed.data, data_dir: resolve(cwd, parsed.data.data_dir) };
}

function readConfigFile(file: string | undefined, cwd: string): Raw {
  const path = file ? resolve(cwd, file) : resolve(cwd, 'rampart.toml');
  if (!file && !existsSync(path)) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return parseToml(text) as Raw;
  } catch (err) {
    throw new ConfigError('--config', `${path} is not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** The dotted key for every leaf of the schema: data_dir, server.listen, ... */
export function configKeys(): string[] {
  const keys: string[] = [];
  for (const [name, field] of Object.entries(configSchema.shape)) {
    const inner = unwrapObject(field);
    if (inner) for (const sub of Object.keys(inner.shape)) keys.push(`${name}.${sub}`);
    else keys.push(name);
  }
  return keys;
}

function unwrapObject(schema: z.ZodType): z.ZodObject | undefined {
  let s: z.ZodType = schema;
  for (let i = 0; i < 4 && !(s instanceof z.ZodObject); i++) {
    const def = (s as unknown as { def: { innerType?: z.ZodType; in?: z.ZodType } }).def;
    const next = def.innerType ?? def.in;
    if (!next) return undefined;
    s = next;
  }
  return s instanceof z.ZodObject ? s : undefined;
}

/** RAMPART_<SECTION>_<KEY> for every known key; unknown RAMPART_ variables are ignored (other tools use them). */
function envOverrides(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of configKeys()) {
    const name = `RAMPART_${key.replace('.', '_').toUpperCase()}`;
    const value = env[name];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

function setDotted(target: Raw, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Raw;
  }
  node[parts[parts.length - 1]] = value;
}

/** The configuration with secret values replaced, for printing and logging. */
export function redactConfig(config: RampartConfig): Record<string, unknown> {
  const copy = structuredClone(config) as unknown as Record<string, Raw>;
  for (const key of secretKeys) {
    const [section, name] = key.split('.');
    const value = copy[section]?.[name];
    if (typeof value === 'string' && value !== '') copy[section][name] = redactValue(key, value);
  }
  return copy;
}

function redactValue(key: string, value: string): string {
  if (key === 'database.url') {
    // Keep the URL readable; hide only the password.
    try {
      const url = new URL(value);
      if (url.password) url.password = 'REDACTED';
      return url.toString();
    } catch {
      return 'REDACTED';
    }
  }
  return 'REDACTED';
}
