import { useState } from 'react';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { useDnsCache } from '../api';
import { unixTime } from '../format';

interface Entry {
  hostname: string;
  ips: string[];
  last_seen: number;
}

/** The names the gateway's DNS proxy answered and the addresses it opened for them. */
export function DnsCachePage() {
  const [page, setPage] = useState(1);
  const cache = useDnsCache(page);
  const columns: Column<Entry>[] = [
    { key: 'host', header: 'Hostname', render: (e) => e.hostname },
    { key: 'ips', header: 'Addresses', render: (e) => e.ips.join(', ') },
    { key: 'seen', header: 'Last answered', render: (e) => unixTime(e.last_seen) },
  ];
  return (
    <>
      <PageHeader title="DNS cache" description="Names the gateway's DNS proxy answered on this node, and the addresses it handed out." />
      <DataTable
        label="DNS cache entries"
        columns={columns}
        rows={cache.data?.items}
        rowKey={(e) => e.hostname}
        total={cache.data?.total}
        page={page}
        onPage={setPage}
        loading={cache.isPending}
        error={cache.error}
        retry={() => cache.refetch()}
        empty="The DNS proxy has answered no name yet (or the data plane is off on this host)."
      />
    </>
  );
}
