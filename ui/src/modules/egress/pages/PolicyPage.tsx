import { Alert, Button, List, Stack, Tabs } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { ApiError } from '../../../app/api/errors';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { EGRESS, policyCalls, usePolicyDocument } from '../api';
import { ChangesModal, type Changes } from '../policy/ChangesModal';
import { fromYamlText, issuesOfMessage, normalized, toYamlText, type Issue, type PolicyDoc } from '../policy/doc';
import { PolicyForm } from '../policy/PolicyForm';
import { PolicyYaml } from '../policy/PolicyYaml';

type View = 'form' | 'yaml';

/**
 * The policy the gateway enforces, edited as a form or as YAML. "Review changes" asks the server for a dry run:
 * its issues are marked at the fields they name; a valid policy shows what saving would change, then saves.
 */
export function PolicyPage() {
  const can = useCan();
  const readOnly = !can('egress_policy:write');
  const stored = usePolicyDocument();
  const client = useQueryClient();
  const [doc, setDoc] = useState<PolicyDoc | null>(null);
  const [view, setView] = useState<View>('form');
  const [yamlText, setYamlText] = useState('');
  const [yamlError, setYamlError] = useState<string | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [changes, setChanges] = useState<{ policy: PolicyDoc; changes: Changes } | null>(null);

  useEffect(() => {
    if (stored.data && !doc) setDoc(stored.data as unknown as PolicyDoc);
  }, [stored.data, doc]);

  /** The document being edited, from whichever view is open; null when the YAML does not parse. */
  const current = (): PolicyDoc | null => {
    if (view === 'form') return doc && normalized(doc);
    const parsed = fromYamlText(yamlText);
    if ('error' in parsed) {
      setYamlError(parsed.error);
      return null;
    }
    return parsed.doc;
  };

  const switchView = (next: View) => {
    if (next === view || !doc) return;
    if (next === 'yaml') {
      setYamlText(toYamlText(normalized(doc)));
      setYamlError(null);
    } else {
      const parsed = fromYamlText(yamlText);
      if ('error' in parsed) return setYamlError(parsed.error);
      setDoc(parsed.doc);
    }
    setView(next);
  };

  const review = useMutation({
    mutationFn: async (policy: PolicyDoc) => ({ policy, result: await policyCalls.dryRun(policy) }),
    onSuccess: ({ policy, result }) => {
      setIssues(result.issues);
      if (result.valid && result.changes) setChanges({ policy, changes: result.changes });
    },
    onError: (err) => notifications.show({ color: 'red', title: 'The check did not run', message: err.message }),
  });

  const save = useMutation({
    mutationFn: policyCalls.save,
    onSuccess: (saved) => {
      setChanges(null);
      setIssues([]);
      setDoc(saved as unknown as PolicyDoc);
      if (view === 'yaml') setYamlText(toYamlText(saved as unknown as PolicyDoc));
      notifications.show({ color: 'teal', message: 'Policy saved; the gateway enforces it now.' });
      return client.invalidateQueries({ queryKey: [...EGRESS, 'policy'] });
    },
    onError: (err) => {
      setChanges(null);
      if (err instanceof ApiError && err.status === 400) setIssues(issuesOfMessage(err.message));
      else notifications.show({ color: 'red', title: 'The policy was not saved', message: err.message });
    },
  });

  if (stored.error) return <><PageHeader title="Egress policy" /><PageError error={stored.error} retry={() => stored.refetch()} /></>;
  if (!doc) return <><PageHeader title="Egress policy" /><PageLoading label="Loading the policy" /></>;

  const submit = () => {
    setYamlError(null);
    const policy = current();
    if (policy) review.mutate(policy);
  };

  return (
    <>
      <PageHeader
        title="Egress policy"
        description="Which sources may reach which destinations through the gateway. Saving replaces the enforced policy."
        actions={!readOnly && <Button onClick={submit} loading={review.isPending}>Review changes</Button>}
      />
      <Stack>
        {readOnly && <Alert color="gray">You can read this policy; changing it needs the egress_policy:write permission.</Alert>}
        {issues.length > 0 && (
          <Alert color="red" icon={<IconAlertTriangle aria-hidden />} title={`The policy has ${issues.length === 1 ? 'a problem' : `${issues.length} problems`}; nothing was saved`} role="alert">
            <List size="sm">
              {issues.map((i) => (
                <List.Item key={`${i.path}:${i.message}`}>
                  <code>{i.path}</code>: {i.message}
                </List.Item>
              ))}
            </List>
          </Alert>
        )}
        {yamlError && <Alert color="red" title="The YAML does not parse" role="alert">{yamlError}</Alert>}
        <Tabs value={view} onChange={(v) => switchView(v as View)} keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="form">Form</Tabs.Tab>
            <Tabs.Tab value="yaml">YAML</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="form" pt="md">
            <PolicyForm doc={doc} issues={issues} readOnly={readOnly} onChange={setDoc} />
          </Tabs.Panel>
          <Tabs.Panel value="yaml" pt="md">
            <PolicyYaml text={yamlText} issues={issues} readOnly={readOnly} onChange={setYamlText} />
          </Tabs.Panel>
        </Tabs>
      </Stack>
      {changes && <ChangesModal changes={changes.changes} saving={save.isPending} onSave={() => save.mutate(changes.policy)} onClose={() => setChanges(null)} />}
    </>
  );
}
