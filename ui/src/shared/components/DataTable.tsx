import { Group, Pagination, ScrollArea, Stack, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { EmptyState, PageError, PageLoading } from './states';

export interface Column<Row> {
  key: string;
  header: string;
  render: (row: Row) => ReactNode;
}

export interface DataTableProps<Row> {
  /** What the table lists, for its caption (screen readers) and its empty state. */
  label: string;
  columns: Column<Row>[];
  rows: Row[] | undefined;
  rowKey: (row: Row) => string;
  total?: number;
  page?: number;
  pageSize?: number;
  onPage?: (page: number) => void;
  loading?: boolean;
  error?: unknown;
  retry?: () => void;
  /** Filter inputs above the table. */
  filters?: ReactNode;
  empty?: ReactNode;
}

/** A server-paged list with its filters and its loading, error and empty states. Pages count from 1. */
export function DataTable<Row>(props: DataTableProps<Row>) {
  const { columns, rows, total = rows?.length ?? 0, page = 1, pageSize = 25 } = props;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <Stack gap="sm">
      {props.filters && <Group align="flex-end" wrap="wrap">{props.filters}</Group>}
      {props.error ? (
        <PageError error={props.error} retry={props.retry} />
      ) : props.loading || !rows ? (
        <PageLoading label={`Loading ${props.label.toLowerCase()}`} />
      ) : rows.length === 0 ? (
        <EmptyState title={`No ${props.label.toLowerCase()}`}>{props.empty}</EmptyState>
      ) : (
        <ScrollArea type="auto">
          <Table striped highlightOnHover verticalSpacing="xs" miw={columns.length * 120}>
            <Table.Caption style={{ captionSide: 'top', textAlign: 'left' }} className="visually-hidden">
              {props.label}
            </Table.Caption>
            <Table.Thead>
              <Table.Tr>
                {columns.map((c) => (
                  <Table.Th key={c.key} scope="col">
                    {c.header}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={props.rowKey(row)}>
                  {columns.map((c) => (
                    <Table.Td key={c.key}>{c.render(row)}</Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      )}
      {props.onPage && total > pageSize && (
        <Group justify="space-between">
          <Text size="sm" c="dimmed">
            {total} in all
          </Text>
          <Pagination total={pages} value={page} onChange={props.onPage} size="sm" getControlProps={(c) => ({ 'aria-label': `${c} page` })} getItemProps={(p) => ({ 'aria-label': `Page ${p}` })} />
        </Group>
      )}
    </Stack>
  );
}

/** Offset/limit for page n (from 1): the query every Rampart list takes (strings, as the OpenAPI documents type them). */
export function pageQuery(page: number, pageSize = 25) {
  return { limit: String(pageSize), offset: String((page - 1) * pageSize) };
}
