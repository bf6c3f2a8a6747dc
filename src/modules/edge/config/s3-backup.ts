import { hostname } from 'node:os';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Core } from '../../../core/index.js';
import { errors, RampartError } from '../../../core/errors.js';
import { configSealedColumns } from './config.sealed.js';
import type { Snapshot } from './snapshot.js';

const SECRET_CONTEXT = `${configSealedColumns.s3Secret.table}.${configSealedColumns.s3Secret.column}`;
const TEST_KEY_SUFFIX = '.rampart-connectivity-test';
/** An archived version is a snapshot of a few hundred KiB at most; a larger object is not one of ours. */
const MAX_OBJECT_BYTES = 16 * 1024 * 1024;

/** AiFw's S3Config as PUT takes it; secret_access_key: absent keeps the stored one, "" clears it. */
export interface S3ConfigInput {
  enabled: boolean;
  bucket: string;
  region?: string;
  endpoint?: string | null;
  prefix?: string;
  path_style?: boolean;
  access_key_id?: string | null;
  secret_access_key?: string | null;
}

/** What GET answers: the secret never, only whether one is stored. */
export interface S3ConfigView {
  enabled: boolean;
  bucket: string;
  region: string;
  endpoint: string | null;
  prefix: string;
  path_style: boolean;
  access_key_id: string | null;
  has_secret: boolean;
}

interface S3Settings extends Omit<S3ConfigView, 'has_secret'> {
  secret_access_key: string | null;
}

export interface S3TestResult {
  ok: boolean;
  message: string;
  write: boolean;
  read: boolean;
  delete: boolean;
}

export interface RemoteObject {
  key: string;
  size: number;
  last_modified: string | null;
}

const DEFAULTS: S3Settings = {
  enabled: false, bucket: '', region: 'us-east-1', endpoint: null, prefix: '', path_style: false, access_key_id: null, secret_access_key: null,
};

function normalizePrefix(prefix: string): string {
  const p = prefix.trim().replace(/^\/+|\/+$/g, '');
  return p ? `${p}/` : '';
}

/** This box's folder under the prefix: its host name, as AiFw keys its uploads. */
function hostFolder(): string {
  return hostname().replace(/[^A-Za-z0-9._-]/g, '_') || 'rampart';
}

/** Timestamp first, so keys sort by time: <prefix><host>/<created_at>-v000042.json */
export function objectKey(prefix: string, version: number, createdAt: string): string {
  const ts = createdAt.replace(/:/g, '-').replace(/[^A-Za-z0-9T._-]/g, '_');
  return `${normalizePrefix(prefix)}${hostFolder()}/${ts}-v${String(version).padStart(6, '0')}.json`;
}

/** An S3 failure as the 502 it is (the store, not the request, failed), with the store's own words. */
function upstream(what: string, err: unknown): RampartError {
  const name = (err as { name?: string })?.name;
  const message = err instanceof Error ? err.message : String(err);
  return new RampartError({ code: 'upstream_failed', status: 502, fault: 'external', message: `S3 ${what} failed: ${name && !message.includes(name) ? `${name}: ` : ''}${message}`.slice(0, 500) });
}

/**
 * S3 (or S3-compatible) backups of configuration versions, as AiFw's backup/s3: the destination's settings (the
 * secret key sealed at rest, never answered), a write-read-delete connectivity test, listing, uploading (every saved
 * version while enabled, or one on demand) and importing an archived version as a new local version.
 */
export function createS3Backups(core: Core) {
  const { db } = core;
  const d = db.dialect;

  async function load(): Promise<S3Settings> {
    const row = await db.kysely.selectFrom('edge_config_s3').selectAll().where('id', '=', 's3').executeTakeFirst();
    if (!row) return { ...DEFAULTS };
    return {
      enabled: d.fromBool(row.enabled),
      bucket: row.bucket,
      region: row.region,
      endpoint: row.endpoint,
      prefix: row.prefix,
      path_style: d.fromBool(row.path_style),
      access_key_id: row.access_key_id,
      secret_access_key: row.secret_sealed ? core.secrets.openString(row.secret_sealed, SECRET_CONTEXT) : null,
    };
  }

  const view = ({ secret_access_key, ...rest }: S3Settings): S3ConfigView => ({ ...rest, has_secret: Boolean(secret_access_key) });

  function merged(current: S3Settings, input: S3ConfigInput): S3Settings {
    const secret = input.secret_access_key === undefined || input.secret_access_key === null
      ? current.secret_access_key
      : input.secret_access_key === '' ? null : input.secret_access_key;
    return {
      enabled: input.enabled,
      bucket: input.bucket.trim(),
      region: input.region?.trim() || DEFAULTS.region,
      endpoint: input.endpoint?.trim() || null,
      prefix: input.prefix ?? '',
      path_style: input.path_style ?? false,
      access_key_id: input.access_key_id?.trim() || null,
      secret_access_key: secret,
    };
  }

  async function client(settings: S3Settings): Promise<S3Client> {
    if (!settings.bucket) throw errors.validation('bucket is required');
    const { S3Client } = await import('@aws-sdk/client-s3');
    const explicit = settings.access_key_id && settings.secret_access_key;
    return new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.path_style,
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 20_000 },
      // Empty keys: the SDK's default chain (environment, profile, instance role), as AiFw does.
      ...(explicit ? { credentials: { accessKeyId: settings.access_key_id!, secretAccessKey: settings.secret_access_key! } } : {}),
    });
  }

  async function upload(settings: S3Settings, version: number, createdAt: string, snapshot: Snapshot): Promise<string> {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const c = await client(settings);
    const key = objectKey(settings.prefix, version, createdAt);
    try {
      await c.send(new PutObjectCommand({ Bucket: settings.bucket, Key: key, Body: JSON.stringify(snapshot, null, 2), ContentType: 'application/json' }));
    } catch (err) {
      throw upstream('upload', err);
    } finally {
      c.destroy();
    }
    return key;
  }

  async function enabledSettings(): Promise<S3Settings> {
    const settings = await load();
    if (!settings.enabled) throw errors.badRequest('S3 backup is not enabled');
    return settings;
  }

  return {
    async get(): Promise<S3ConfigView> {
      return view(await load());
    },

    async put(input: S3ConfigInput): Promise<S3ConfigView> {
      const next = merged(await load(), input);
      if (next.enabled && !next.bucket) throw errors.validation('bucket is required when enabled');
      const row = {
        enabled: d.toBool(next.enabled) as never, bucket: next.bucket, region: next.region, endpoint: next.endpoint, prefix: next.prefix,
        path_style: d.toBool(next.path_style) as never, access_key_id: next.access_key_id,
        secret_sealed: next.secret_access_key ? core.secrets.seal(next.secret_access_key, SECRET_CONTEXT) : null,
        updated_at: core.now().toISOString(),
      };
      const updated = await db.kysely.updateTable('edge_config_s3').set(row).where('id', '=', 's3').executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) await db.kysely.insertInto('edge_config_s3').values({ id: 's3', ...row }).execute();
      return view(next);
    },

    /** Write, read back and delete a small object: proves put, get and delete on the prefix, each reported. */
    async test(draft?: S3ConfigInput | null): Promise<S3TestResult> {
      const stored = await load();
      const settings = draft && draft.bucket ? merged(stored, draft) : stored;
      const result: S3TestResult = { ok: false, message: '', write: false, read: false, delete: false };
      if (!settings.bucket) return { ...result, message: 'config error: bucket is required' };
      const { PutObjectCommand, GetObjectCommand, DeleteObjectCommand } = await import('@aws-sdk/client-s3');
      const c = await client(settings);
      const key = `${normalizePrefix(settings.prefix)}${hostFolder()}${TEST_KEY_SUFFIX}`;
      const payload = `rampart-connectivity-test host=${hostFolder()} ts=${core.now().toISOString()}\n`;
      try {
        try {
          await c.send(new PutObjectCommand({ Bucket: settings.bucket, Key: key, Body: payload, ContentType: 'text/plain' }));
          result.write = true;
          const got = await c.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }));
          const body = await got.Body?.transformToString();
          if (body !== payload) return { ...result, message: 'read failed: the object read back differs from the one written' };
          result.read = true;
          await c.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key }));
          result.delete = true;
        } catch (err) {
          const step = !result.write ? 'write' : !result.read ? 'read' : 'delete';
          return { ...result, message: upstream(step, err).message };
        }
      } finally {
        c.destroy();
      }
      return { ...result, ok: true, message: `S3 connectivity OK (wrote, read, and deleted s3://${settings.bucket}/${key})` };
    },

    /** This box's archived versions, newest first, at most `max`. */
    async list(max: number): Promise<RemoteObject[]> {
      const settings = await enabledSettings();
      const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
      const c = await client(settings);
      const prefix = `${normalizePrefix(settings.prefix)}${hostFolder()}/`;
      const out: RemoteObject[] = [];
      try {
        let token: string | undefined;
        do {
          const res = await c.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: prefix, ContinuationToken: token }));
          for (const o of res.Contents ?? []) {
            if (!o.Key || o.Key.endsWith(TEST_KEY_SUFFIX)) continue;
            out.push({ key: o.Key, size: Number(o.Size ?? 0), last_modified: o.LastModified ? o.LastModified.toISOString() : null });
          }
          token = res.IsTruncated ? res.NextContinuationToken : undefined;
        } while (token && out.length < max);
      } catch (err) {
        throw upstream('list', err);
      } finally {
        c.destroy();
      }
      return out.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0)).slice(0, max);
    },

    /** One archived object's JSON. */
    async fetch(key: string): Promise<{ bucket: string; value: unknown }> {
      const settings = await enabledSettings();
      const { GetObjectCommand } = await import('@aws-sdk/client-s3');
      const c = await client(settings);
      let text: string;
      try {
        const res = await c.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }));
        if (Number(res.ContentLength ?? 0) > MAX_OBJECT_BYTES) throw errors.badRequest('the object is too large to be a configuration');
        text = (await res.Body?.transformToString()) ?? '';
      } catch (err) {
        if (err instanceof RampartError) throw err;
        if ((err as { name?: string })?.name === 'NoSuchKey') throw errors.notFound('no such object in the bucket');
        throw upstream('fetch', err);
      } finally {
        c.destroy();
      }
      try {
        return { bucket: settings.bucket, value: JSON.parse(text) };
      } catch {
        throw errors.badRequest('not a valid config JSON');
      }
    },

    /** Uploads one version now (the "backup now" button). */
    async uploadNow(version: number, createdAt: string, snapshot: Snapshot): Promise<{ key: string; bucket: string }> {
      const settings = await enabledSettings();
      return { key: await upload(settings, version, createdAt, snapshot), bucket: settings.bucket };
    },

    /** After every saved version while enabled: upload it, in the background; a failure is logged and audited. */
    async autoUpload(version: number, createdAt: string, snapshot: Snapshot): Promise<void> {
      const settings = await load();
      if (!settings.enabled || !settings.bucket) return;
      const actor = { type: 'system' as const, id: 'system', name: 's3-backup' };
      try {
        const key = await upload(settings, version, createdAt, snapshot);
        await core.audit.record({ actor, action: 'edge.backup.s3.upload', result: 'success', resource: { type: 'config_version', id: String(version) }, details: { bucket: settings.bucket, key } });
      } catch (err) {
        core.logger.warn({ err, version }, 'S3 upload of a configuration version failed');
        await core.audit.record({ actor, action: 'edge.backup.s3.upload', result: 'failure', resource: { type: 'config_version', id: String(version) }, details: { bucket: settings.bucket, error: String(err) } });
      }
    },
  };
}

export type S3Backups = ReturnType<typeof createS3Backups>;
