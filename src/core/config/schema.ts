import { isIP } from 'node:net';
import { z } from 'zod';

/** host:port, with IPv6 hosts in brackets ([::1]:8443). */
const listenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected HOST:PORT')
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

/** server.listen also takes unix:/path/to.sock, for a reverse proxy on the same host (or a test outside the network namespace). */
const serverListenAddress = z
  .string()
  .refine((v) => (v.startsWith('unix:') ? /^unix:\/.+$/.test(v) : listenAddress.safeParse(v).success), 'expected HOST:PORT (port at most 65535) or unix:/absolute/path');

const bool = z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean());
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const stringList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string()),
);

/**
 * The whole configuration. Every key is settable in rampart.toml (sections as below, `data_dir` at the top)
 * and by env RAMPART_<SECTION>_<KEY>; CLI flags override both. Keys marked secret are redacted when printed.
 */
export const configSchema = z
  .object({
    data_dir: z.string().min(1).default('./data'),
    server: z
      .object({
        listen: serverListenAddress.default('0.0.0.0:8443'),
        metrics_listen: listenAddress.default('127.0.0.1:9464'),
        /** Plain HTTP instead of HTTPS, for running behind a TLS-terminating proxy. */
        insecure_http: bool.default(false),
        /** How long shutdown waits for in-flight requests and jobs before cutting them off. */
        shutdown_timeout_ms: int(0, 600_000).default(10_000),
        /**
         * Reverse proxies (addresses, CIDRs, "unix" for a proxy on this host's unix socket) whose X-Forwarded-For,
         * -Proto and -Host are believed: the client address, and https for Secure cookies and redirect URIs.
         */
        trusted_proxies: z.preprocess(
          (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
          z.array(z.string().refine(isProxyEntry, 'expected an IP address, a CIDR (10.0.0.0/8) or "unix"')),
        ).default([]),
        /** Deprecated: true trusts a proxy on loopback or the unix socket (trusted_proxies = 127.0.0.0/8, ::1, unix). */
        trust_proxy: bool.default(false),
        /** Origins allowed to call the API from a browser; empty means CORS is off. */
        cors_origins: stringList.default([]),
      })
      .strict()
      .prefault({}),
    tls: z
      .object({
        cert_file: z.string().default(''),
        key_file: z.string().default(''),
      })
      .strict()
      .prefault({}),
    database: z
      .object({
        /** Empty: SQLite at <data_dir>/rampart.db. Otherwise sqlite:PATH or postgres://... */
        url: z.string().default(''),
        pool_max: int(1, 200).default(10),
        sqlite_busy_timeout_ms: int(0, 600_000).default(5_000),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** auto: readable lines on a TTY, JSON otherwise. */
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .strict()
      .prefault({}),
    secrets: z
      .object({
        /** Key file for the secret box; empty means <data_dir>/secret.key, created on first start. */
        key_file: z.string().default(''),
        /** Base64 keys (newest first, comma separated) instead of a key file. */
        key: z.string().default(''),
      })
      .strict()
      .prefault({}),
    jobs: z
      .object({
        /** Whether `rampart serve` also runs the job worker. */
        worker: bool.default(true),
        concurrency: int(1, 64).default(2),
        poll_interval_ms: int(10, 60_000).default(1_000),
        max_attempts: int(1, 100).default(5),
        /** How long a claimed job may run before another worker may take it over. */
        lease_ms: int(1_000, 86_400_000).default(300_000),
      })
      .strict()
      .prefault({}),
    idempotency: z
      .object({
        ttl_hours: int(1, 24 * 30).default(24),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** Lifetime of access tokens (EdDSA JWTs). */
        access_token_ttl_s: int(60, 86_400).default(900),
        /** Lifetime of a refresh token; each use rotates it and starts a new one. */
        refresh_token_ttl_s: int(300, 90 * 86_400).default(30 * 86_400),
        /** Lifetime of a browser session cookie. */
        session_ttl_s: int(300, 30 * 86_400).default(8 * 3_600),
        /** Lifetime of the mfa_token that completes a two-step TOTP login. */
        mfa_token_ttl_s: int(30, 3_600).default(300),
        /** Lifetime of a single-use ticket for browser streams. */
        ws_ticket_ttl_s: int(5, 300).default(30),
        password_min_length: int(8, 128).default(12),
        /** argon2id cost; the defaults are OWASP's (19 MiB, 2 passes, 1 lane). */
        argon2_memory_kib: int(8_192, 1_048_576).default(19_456),
        argon2_time_cost: int(1, 20).default(2),
        argon2_parallelism: int(1, 16).default(1),
        /**
         * Overload rule: a password hash or check that would wait longer than this for a free core (one runs per
         * core) is refused with 503 and Retry-After rather than queued without bound behind the others.
         */
        argon2_max_wait_ms: int(10, 60_000).default(1_000),
        /**
         * Login throttling (docs/identity.md): failures of one account from one source address before that pair
         * waits (0 turns throttling off); each further failure doubles the wait, from lockout_base_delay_s up to
         * lockout_minutes. The edge auth settings can change these two at run time.
         */
        lockout_threshold: int(0, 100).default(5),
        lockout_minutes: int(1, 1_440).default(15),
        lockout_base_delay_s: int(1, 3_600).default(5),
        /** Failures from one source address across all accounts before that source waits (0: no such limit). */
        lockout_source_threshold: int(0, 100_000).default(50),
        /** Failures of one account from all sources before every source waits for it (0: no ceiling). */
        lockout_account_ceiling: int(0, 1_000_000).default(1_000),
        /** Per client IP, on every login, token-login and enrollment endpoint. */
        login_rate_limit_per_minute: int(1, 10_000).default(30),
        /** Issuer (iss) of the tokens Rampart signs. */
        issuer: z.string().min(1).default('rampart'),
        /** Overlay dev mode: GET /api/auth/dev-token mints an admin token while no OIDC provider is configured. */
        dev_mode: bool.default(false),
        /** Whether first start creates `admin` with a random password when there are no users. */
        bootstrap_admin: bool.default(true),
      })
      .strict()
      .prefault({}),
    overlay: z
      .object({
        /** Lifetime of a network's CA; host certificates never outlive it (rotate the CA before it ends). */
        ca_validity_days: int(2, 36_500).default(3_650),
        /** Lifetime of a host certificate unless a request asks for another (clamped inside the CA's). */
        cert_validity_days: int(1, 36_500).default(365),
        /** Lifetime of a device token handed out by POST /api/device/enroll. */
        device_token_ttl_days: int(1, 3_650).default(365),
        /** An active node that has not sent a heartbeat for this long is reported offline. */
        offline_after_s: int(30, 86_400).default(300),
        /** Memory for device poll caches (ETags, rendered configs, per-network parts), least recently used out first. */
        device_cache_mib: int(1, 65_536).default(256),
        /** Default lifetime of an enrollment code (a request may ask for another, up to 30 days). */
        enrollment_code_ttl_hours: int(1, 720).default(24),
        /** Public base URL of the web console, for links in invitation mails. */
        public_url: z.string().url().default('https://localhost:8443'),
      })
      .strict()
      .prefault({}),
    access: z
      .object({
        /** Devices get their overlay address from this range at enrollment (never reused after a revoke). */
        overlay_cidr: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/(8|9|1\d|2[0-9]|30)$/, 'an IPv4 CIDR such as 100.96.0.0/16').default('100.96.0.0/16'),
        /** Lifetime of an enrollment token when generate names none. */
        token_default_ttl_hours: int(1, 720).default(24),
        /** The longest lifetime generate accepts. */
        token_max_ttl_days: int(1, 365).default(30),
        /** Devices (not revoked) per tenant before enrollment answers 409 entitlement_exceeded; 0: no limit. */
        max_devices: int(0, 10_000_000).default(0),
        /** Per client IP, on POST /v1/enroll, /v1/enroll/oidc and /v1/enroll/saml. */
        enroll_rate_limit_per_minute: int(1, 100_000).default(60),
        /** The signed licence file (JSON, Ed25519); '' means <data_dir>/access-license.json. No file: no licence limits. */
        license_file: z.string().default(''),
        /** The key licences must be signed with (raw Ed25519 base64url, or PEM); '' means the built-in vendor key. */
        license_public_key: z.string().default(''),
        /** Published agent packages, as <channel>/<platform>/<version> files; '' means <data_dir>/access-updates. */
        update_dir: z.string().default(''),
      })
      .strict()
      .prefault({}),
    egress: z
      .object({
        /** This gateway's name in findings, wiretap events and stats (node_id). Default: the host name. */
        node_id: z.string().default(''),
        /** Where the DNS proxy listens (UDP and TCP) while the data plane is enabled. */
        dns_listen: listenAddress.default('0.0.0.0:53'),
        /** Resolvers allowed queries are forwarded to, host:port, tried in order. */
        dns_upstreams: stringList.default(['127.0.0.1:5353']),
        /** How long an upstream may take before the client gets SERVFAIL. */
        dns_upstream_timeout_ms: int(100, 30_000).default(2_000),
        /** Added to an answer's TTL for how long its addresses stay allowed. */
        dns_ttl_grace_s: int(0, 86_400).default(30),
        /** How long a policy write waits for the data plane to run the new generation before answering 503. */
        apply_timeout_ms: int(100, 60_000).default(2_000),
        /** Audit findings kept in memory per node; the oldest go first. */
        findings_max: int(100, 1_000_000).default(10_000),
        /** How often the data plane's deny counters and conntrack flows are read. */
        poll_interval_ms: int(100, 60_000).default(1_000),
        /** Where the threat-intel baseline feeds are downloaded from (a mirror, say); Neuwerk's sources by default. */
        threat_feed_threatfox_url: z.string().url().default('https://threatfox.abuse.ch/export/json/urls/recent/'),
        threat_feed_urlhaus_url: z.string().url().default('https://urlhaus.abuse.ch/downloads/text/'),
        threat_feed_spamhaus_drop_url: z.string().url().default('https://www.spamhaus.org/drop/drop_v4.json'),
        /** PEM file of CA certificates trusted for feed downloads beside the system roots. Empty: system roots only. */
        threat_feed_ca_file: z.string().default(''),
        /** How long one feed download may take. */
        threat_feed_timeout_ms: int(1_000, 600_000).default(30_000),
        /** How often policies' Kubernetes selectors are resolved again in the background (a change recompiles). */
        kubernetes_resync_ms: int(100, 3_600_000).default(10_000),
      })
      .strict()
      .prefault({}),
    mail: z
      .object({
        /** smtp:// or smtps:// URL of the mail server (credentials in it). Empty: mail goes to the outbox admins read. */
        smtp_url: z.string().default(''),
        /** From address of the mails Rampart sends. */
        from: z.string().default('Rampart <rampart@localhost>'),
      })
      .strict()
      .prefault({}),
    license: z
      .object({
        /**
         * Ed25519 public keys that fleet license JWTs are checked against: base64 of the raw 32-byte key, or a PEM
         * (SPKI) block. The first is the current key; the others are accepted as previous keys (using_prev_key).
         */
        public_keys: stringList.default([]),
        /** This deployment's fingerprint; a license naming another fingerprint is invalid. Empty: not checked. */
        fingerprint: z.string().default(''),
      })
      .strict()
      .prefault({}),
    fleet: z
      .object({
        /**
         * A directory of Kensa-format rules that fleet scans evaluate instead of the built-in set (`rampart fleet
         * rules lint DIR` checks one). Empty: the built-in rules.
         */
        rules_dir: z.string().default(''),
      })
      .strict()
      .prefault({}),
    edge: z
      .object({
        /** The IANA zone schedules are evaluated in; empty: the process's zone (TZ, else the system's). */
        timezone: z.string().default(''),
        /** A country database for geo-IP rules and lookups: CSV lines "network,country" (ISO-2); empty: none. */
        geoip_csv: z.string().default(''),
        /** How often url_table aliases are fetched again. */
        url_table_refresh_minutes: int(1, 10_080).default(60),
        /** TEST ONLY: a file holding milliseconds added to the firewall's clock (schedules), read when it changes. */
        clock_offset_file: z.string().default(''),
      })
      .strict()
      .prefault({}),
    dataplane: z
      .object({
        /** Apply compiled artifacts to this host's engines. Off: artifacts are compiled and stored only. */
        enabled: bool.default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type RampartConfig = z.infer<typeof configSchema>;

/** Keys whose values never leave the process in clear. */
export const secretKeys = new Set(['secrets.key', 'database.url', 'mail.smtp_url']);

/** An entry of server.trusted_proxies: "unix", an IP address, or address/prefix. */
function isProxyEntry(entry: string): boolean {
  if (entry === 'unix') return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** The proxies whose forwarded headers are believed, with the deprecated trust_proxy switch folded in. */
export function trustedProxiesOf(config: { server: { trusted_proxies: string[]; trust_proxy: boolean } }): string[] {
  const { trusted_proxies, trust_proxy } = config.server;
  return trusted_proxies.length || !trust_proxy ? trusted_proxies : ['127.0.0.0/8', '::1', 'unix'];
}
