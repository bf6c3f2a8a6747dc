import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { data, overlay } from '../../app/api/client';
import { apiErrorOf } from '../../app/api/errors';
import type { paths } from '../../app/api/generated/overlay';
import { pageQuery } from '../../shared/components/DataTable';

type Json<P extends keyof paths, M extends 'get' | 'post'> = paths[P][M] extends { responses: { 200: { content: { 'application/json': infer T } } } } ? T : never;
export type Network = Json<'/api/networks/{network_id}', 'get'>;
export type OverlayNode = Json<'/api/nodes/{node_id}', 'get'>;
export type Invitation = Json<'/api/invitations', 'get'>[number];
export type Member = Json<'/api/networks/{network_id}/users', 'get'>[number];
export type GroupFirewall = Json<'/api/networks/{network_id}/group-firewall', 'get'>[number];
export type NodeRequest = Json<'/api/node-requests', 'get'>[number];
export type AccessGrant = Json<'/api/access-grants', 'get'>[number];
export type EnrollmentCode = Json<'/api/device/enrollment-codes', 'post'>;

export const OVERLAY = ['overlay'] as const;
export const PAGE_SIZE = 25;

/** Overlay lists answer a bare array (Nebula Commander's shape) and the total in X-Total-Count. */
async function paged<T>(call: Promise<{ data?: T[]; response: Response }>): Promise<{ items: T[]; total: number }> {
  const { data: items = [], response } = await call;
  return { items, total: Number(response.headers.get('x-total-count') ?? items.length) };
}

/** Node status comes from heartbeats and polls the server records; asking again this often keeps it current. */
const LIVE_MS = 10_000;

export function useNetworks(page: number) {
  return useQuery({
    queryKey: [...OVERLAY, 'networks', page],
    queryFn: () => paged(overlay.GET('/api/networks', { params: { query: pageQuery(page, PAGE_SIZE) } })),
    placeholderData: (previous) => previous,
  });
}

export function useNetwork(id: string) {
  return useQuery({ queryKey: [...OVERLAY, 'network', id], queryFn: () => data(overlay.GET('/api/networks/{network_id}', { params: { path: { network_id: id } } })) });
}

export function useNodes(networkId: string, page: number) {
  return useQuery({
    queryKey: [...OVERLAY, 'nodes', networkId, page],
    queryFn: () => paged(overlay.GET('/api/nodes', { params: { query: { network_id: networkId, ...pageQuery(page, PAGE_SIZE) } } })),
    placeholderData: (previous) => previous,
    refetchInterval: LIVE_MS,
  });
}

export function useMembers(networkId: string, page: number, enabled: boolean) {
  return useQuery({
    queryKey: [...OVERLAY, 'members', networkId, page],
    queryFn: () => paged(overlay.GET('/api/networks/{network_id}/users', { params: { path: { network_id: networkId }, query: pageQuery(page, PAGE_SIZE) } })),
    placeholderData: (previous) => previous,
    enabled,
  });
}

export function useInvitations(networkId: string, page: number, status: Invitation['status'] | undefined, enabled: boolean) {
  return useQuery({
    queryKey: [...OVERLAY, 'invitations', networkId, page, status],
    queryFn: () => paged(overlay.GET('/api/invitations', { params: { query: { network_id: networkId, ...pageQuery(page, PAGE_SIZE), ...(status ? { status_filter: status } : {}) } } })),
    placeholderData: (previous) => previous,
    enabled,
  });
}

export function useGroupFirewall(networkId: string, page: number) {
  return useQuery({
    queryKey: [...OVERLAY, 'firewall', networkId, page],
    queryFn: () => paged(overlay.GET('/api/networks/{network_id}/group-firewall', { params: { path: { network_id: networkId }, query: pageQuery(page, PAGE_SIZE) } })),
    placeholderData: (previous) => previous,
  });
}

export function useNodeRequests(page: number, status: NodeRequest['status'] | undefined) {
  return useQuery({
    queryKey: [...OVERLAY, 'node-requests', page, status],
    queryFn: () => paged(overlay.GET('/api/node-requests', { params: { query: { ...pageQuery(page, PAGE_SIZE), ...(status ? { status } : {}) } } })),
    placeholderData: (previous) => previous,
  });
}

export function useAccessGrants(page: number, activeOnly: boolean) {
  return useQuery({
    queryKey: [...OVERLAY, 'access-grants', page, activeOnly],
    queryFn: () => paged(overlay.GET('/api/access-grants', { params: { query: { ...pageQuery(page, PAGE_SIZE), active_only: activeOnly ? 'true' : 'false' } } })),
    placeholderData: (previous) => previous,
  });
}

/** A write that refreshes the overlay's lists and says how it went. */
export function useOverlayAction<A, R = unknown>(run: (arg: A) => Promise<R>, done: string | ((result: R) => string)) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: (result) => {
      notifications.show({ color: 'teal', message: typeof done === 'string' ? done : done(result), closeButtonProps: DISMISS });
      return client.invalidateQueries({ queryKey: OVERLAY });
    },
    onError: (err) => notifications.show({ color: 'red', message: `Not done: ${err.message}`, closeButtonProps: DISMISS }),
  });
}

/** Mantine's notification close button has no name of its own; a screen reader needs one. */
const DISMISS = { 'aria-label': 'Dismiss' };

/**
 * Downloads an attachment (a node's config.yml, its certificate ZIP) through the session cookie. A plain link
 * would do, but a failure would then replace the console with a JSON page; here it is a notification.
 */
export async function downloadAttachment(path: string, fallbackName: string): Promise<void> {
  const res = await fetch(path, { credentials: 'same-origin' });
  if (!res.ok) throw apiErrorOf(res.status, await res.json().catch(() => undefined), res.headers.get('x-correlation-id') ?? undefined);
  const name = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/** The command an operator runs on the device, with the code just made. */
export function enrollCommand(code: string): string {
  return `rampart agent overlay enroll --server ${window.location.origin} --code ${code}`;
}
