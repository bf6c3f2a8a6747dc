import { useComputedColorScheme } from '@mantine/core';
import { yaml } from '@codemirror/lang-yaml';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import CodeMirror from '@uiw/react-codemirror';
import { useMemo } from 'react';
import { yamlRange, type Issue } from './doc';

interface Props {
  text: string;
  issues: Issue[];
  readOnly: boolean;
  onChange: (text: string) => void;
}

/** The policy as YAML in CodeMirror; the server's issues are marked on the lines their paths name. */
export function PolicyYaml({ text, issues, readOnly, onChange }: Props) {
  const scheme = useComputedColorScheme('light');
  const extensions = useMemo(
    () => [
      yaml(),
      lintGutter(),
      linter((view): Diagnostic[] => {
        const current = view.state.doc.toString();
        return issues.map((i) => ({ ...yamlRange(current, i.path), severity: 'error', message: `${i.path}: ${i.message}` }));
      }, { delay: 0 }),
      EditorView.contentAttributes.of({ 'aria-label': 'Policy YAML' }),
      EditorView.lineWrapping,
    ],
    [issues],
  );
  return <CodeMirror value={text} onChange={onChange} extensions={extensions} readOnly={readOnly} theme={scheme} minHeight="320px" maxHeight="70vh" basicSetup={{ foldGutter: false }} />;
}
