/**
 * The access (ZTNA) admin API's shapes as the console reads them. Every access route declares its response schema,
 * so these come from the generated client (ui:api): a changed route breaks the build, not a page. Nothing here
 * restates a route's shape: these are names for parts of the generated types.
 */
import type { paths } from '../../app/api/generated/access';

type Json<P extends keyof paths, M extends keyof paths[P], S extends number = 200> = paths[P][M] extends { responses: { [K in S]: { content: { 'application/json': infer B } } } } ? B : never;
type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type Device = Json<'/v1/admin/devices', 'get'>['items'][number];
export type Channel = Device['channel'];
export type DeviceAction = Body<'/v1/admin/devices/lifecycle', 'post'>['action'];
export type EnrollmentToken = Json<'/v1/admin/tokens', 'get'>['items'][number];
export type TokenKind = EnrollmentToken['kind'];
export type TokenInput = Body<'/v1/admin/tokens/generate', 'post'>;
/** generate answers the row and, this once, the secret. */
export type GeneratedToken = Json<'/v1/admin/tokens/generate', 'post', 201>;

export type Pool = Json<'/v1/admin/settings/gateway-pools', 'get'>['items'][number];
export type PoolSelection = Pool['selection'];
export type PoolInput = Body<'/v1/admin/settings/gateway-pools', 'post'>;
export type GatewayHealth = Json<'/v1/admin/gateway/health', 'get'>;
export type Gateway = GatewayHealth['gateways'][number];

export type Bundle = Json<'/v1/admin/policy/bundles/{id}', 'get'>;
/** A published rule (its id filled); RuleInput is what an operator writes (defaults left out). */
export type Rule = Bundle['rules'][number];
export type PublishInput = Body<'/v1/admin/policy/publish', 'post'>;
export type RuleInput = NonNullable<PublishInput['rules']>[number];
/** A diff between two digests: the rules only one side has, and those whose content changed (keyed on rule id). */
export type BundleDiff = Json<'/v1/admin/policy/diff', 'get'>;

export type Session = Json<'/v1/admin/sessions', 'get'>['items'][number];

/** GET /v1/admin/connection_truth: what the control plane allows against what gateways report. */
export type ConnectionTruth = Json<'/v1/admin/connection_truth', 'get'>;
