import { Button, MultiSelect, NumberInput, Select, Text, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { tokenCalls, useAccessAction, useGroups, usePools, useTokens, useUserNames, type TokenFilters } from '../api';
import { OPTIONS, StatusBadge } from '../components/format';
import { CursorPager, useCursor, useUrlFilters } from '../components/paging';
import { TokenCreated } from '../components/TokenCreated';
import type { Channel, EnrollmentToken, GeneratedToken, TokenKind } from '../model';

const FILTERS = ['status', 'kind'] as const;

/** Enrollment tokens: generate (the secret and its enrol command shown once), list by status, revoke. */
export function TokensPage() {
  const can = useCan();
  const writable = can('access_token:write');
  const pager = useCursor();
  const { filters, set } = useUrlFilters(FILTERS, pager.reset);
  const tokens = useTokens(filters as TokenFilters, pager.cursor);
  const pools = usePools();
  const { names } = useUserNames();
  const [generating, generateModal] = useDisclosure();
  const [created, setCreated] = useState<GeneratedToken | null>(null);
  const groups = useGroups().data ?? [];
  /** Who a device token enrols for, and the groups its devices join. */
  const tokenFor = (t: EnrollmentToken) => {
    const who = t.bound_email ?? (t.bound_user_id ? names(t.bound_user_id) : 'anyone');
    const joins = t.auto_group_ids.map((id) => groups.find((g) => g.id === id)?.name ?? id.slice(0, 8));
    return joins.length ? `${who} · ${joins.join(', ')}` : who;
  };
  const poolName = (id: string | null | undefined) => (id ? pools.data?.find((p) => p.id === id)?.name ?? id.slice(0, 8) : '—');

  const columns: Column<EnrollmentToken>[] = [
    {
      key: 'name',
      header: 'Name',
      render: (t) => (
        <>
          <Text size="sm">{t.name}</Text>
          <Text size="xs" c="dimmed"><code>{`${t.prefix}…`}</code></Text>
        </>
      ),
    },
    { key: 'kind', header: 'Kind', render: (t) => t.kind },
    { key: 'status', header: 'Status', render: (t) => <StatusBadge value={t.status} /> },
    { key: 'uses', header: 'Uses', render: (t) => `${t.use_count} / ${t.max_uses === 0 ? '∞' : t.max_uses}` },
    { key: 'for', header: 'For', render: (t) => (t.kind === 'gateway' ? `pool ${poolName(t.pool_id)}` : tokenFor(t)) },
    { key: 'expires', header: 'Expires', render: (t) => formatTime(t.expires_at) },
    { key: 'used', header: 'Last used', render: (t) => formatTime(t.last_used_at) },
  ];
  if (writable) columns.push({ key: 'actions', header: 'Actions', render: (t) => <RevokeToken token={t} /> });

  return (
    <>
      <PageHeader
        title="Enrollment tokens"
        description="One-time (or limited-use) secrets that enrol a device or a gateway. Rampart keeps only their hash."
        actions={writable && <Button leftSection={<IconPlus size={16} />} onClick={generateModal.open}>Generate token</Button>}
      />
      <DataTable
        label="Enrollment tokens"
        columns={columns}
        rows={tokens.data?.items}
        rowKey={(t) => t.id}
        loading={tokens.isPending}
        error={tokens.error}
        retry={() => tokens.refetch()}
        filters={
          <>
            <Select label="Status" placeholder="All" clearable data={[...OPTIONS.tokenStatus]} value={filters.status ?? null} onChange={(v) => set('status', v)} />
            <Select label="Kind" placeholder="All" clearable data={[...OPTIONS.tokenKind]} value={filters.kind ?? null} onChange={(v) => set('kind', v)} />
          </>
        }
        empty={filters.status || filters.kind ? 'No token matches these filters.' : 'Generate a token to enrol the first device.'}
      />
      <CursorPager label="Enrollment tokens" page={pager.page} next={tokens.data?.next_cursor} onNext={pager.next} onPrev={pager.prev} />
      {generating && <GenerateModal onClose={generateModal.close} onCreated={setCreated} />}
      <TokenCreated token={created} listenPort={pools.data?.find((p) => p.id === created?.pool_id)?.listen_port} onClose={() => setCreated(null)} />
    </>
  );
}

function RevokeToken({ token }: { token: EnrollmentToken }) {
  const revoke = useAccessAction(tokenCalls.revoke, `Token ${token.name} revoked.`);
  if (token.status === 'revoked') return null;
  return (
    <Button size="compact-sm" variant="subtle" color="red" loading={revoke.isPending} aria-label={`Revoke ${token.name}`} onClick={() => window.confirm(`Revoke ${token.name}? Nothing can enrol with it afterwards; what it enrolled stays.`) && revoke.mutate(token.id)}>
      Revoke
    </Button>
  );
}

function GenerateModal({ onClose, onCreated }: { onClose: () => void; onCreated: (t: GeneratedToken) => void }) {
  const [kind, setKind] = useState<TokenKind>('device');
  const [groups, setGroups] = useState<string[]>([]);
  const [user, setUser] = useState<string | null>(null);
  const [pool, setPool] = useState<string | null>(null);
  const [channel, setChannel] = useState<string | null>(null);
  const [maxUses, setMaxUses] = useState<number | string>(1);
  const [hours, setHours] = useState<number | string>(24);
  const allGroups = useGroups().data ?? [];
  const { users } = useUserNames();
  const pools = usePools().data ?? [];
  const generate = useAccessAction(tokenCalls.generate, (t) => `Token ${t.name} generated.`, (t) => { onClose(); onCreated(t); });
  const submit = (f: FormData) => {
    generate.mutate({
      name: field(f, 'name') ?? '',
      kind,
      max_uses: Number(maxUses),
      expires_at: new Date(Date.now() + Number(hours) * 3600_000).toISOString(),
      ...(kind === 'device' && user ? { bound_user_id: user } : {}),
      ...(kind === 'device' && groups.length ? { auto_group_ids: groups } : {}),
      ...(kind === 'gateway' && pool ? { pool_id: pool } : {}),
      ...(channel ? { channel: channel as Channel } : {}),
    });
  };
  return (
    <FormModal title="Generate an enrollment token" opened onClose={onClose} onSubmit={submit} submitLabel="Generate" busy={generate.isPending}>
      <TextInput name="name" label="Name" required data-autofocus description="What it is for, e.g. alice-laptop or gw-eu-1." autoComplete="off" />
      <Select label="Kind" data={[{ value: 'device', label: 'Device' }, { value: 'gateway', label: 'Gateway' }]} value={kind} onChange={(v) => setKind((v as TokenKind) ?? 'device')} allowDeselect={false} />
      <NumberInput label="Uses" description="How many enrolments it allows; 0 for no limit." min={0} value={maxUses} onChange={setMaxUses} />
      <NumberInput label="Valid for (hours)" description="24 hours by default, 30 days at most." min={1} max={720} value={hours} onChange={setHours} />
      {kind === 'device' ? (
        <>
          <Select label="Bound user" placeholder="Anyone" clearable searchable data={users.map((u) => ({ value: u.id, label: u.label }))} value={user} onChange={setUser} description="Devices it enrols belong to this user." />
          <MultiSelect label="Groups" placeholder="None" searchable data={allGroups.map((g) => ({ value: g.id, label: g.name }))} value={groups} onChange={setGroups} description="Devices it enrols join these groups." />
        </>
      ) : (
        <Select label="Pool" required placeholder="Pick a pool" data={pools.map((p) => ({ value: p.id, label: p.name }))} value={pool} onChange={setPool} description="The gateway it enrols serves this pool." />
      )}
      <Select label="Channel" placeholder="Stable (default)" clearable data={[...OPTIONS.channel]} value={channel} onChange={setChannel} />
      {kind === 'gateway' && pools.length === 0 && <Text size="sm" c="red">Create a gateway pool first (Gateways page).</Text>}
    </FormModal>
  );
}
