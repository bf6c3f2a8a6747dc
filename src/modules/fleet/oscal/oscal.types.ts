/**
 * The parts of the OSCAL 1.1 assessment-results model Rampart writes (https://pages.nist.gov/OSCAL/ reference,
 * assessment-results JSON). Keys are spelled as the schema spells them (kebab-case).
 */
export const OSCAL_VERSION = '1.1.2';

/** Rampart's namespace for the props OSCAL does not define (check method, exit code, framework references). */
export const RAMPART_NS = 'urn:rampart:fleet:oscal';

export interface Prop {
  name: string;
  value: string;
  ns?: string;
  class?: string;
}

export interface RelevantEvidence {
  href?: string;
  description: string;
  props?: Prop[];
  remarks?: string;
}

export interface Observation {
  uuid: string;
  title: string;
  description: string;
  props?: Prop[];
  methods: ('EXAMINE' | 'INTERVIEW' | 'TEST' | 'UNKNOWN')[];
  types: string[];
  origins: { actors: { type: 'tool'; 'actor-uuid': string }[] }[];
  subjects: { 'subject-uuid': string; type: 'inventory-item'; title?: string }[];
  'relevant-evidence'?: RelevantEvidence[];
  collected: string;
  remarks?: string;
}

export interface Finding {
  uuid: string;
  title: string;
  description: string;
  props?: Prop[];
  target: {
    type: 'objective-id';
    'target-id': string;
    title: string;
    status: { state: 'satisfied' | 'not-satisfied'; reason: 'pass' | 'fail' | 'other'; remarks?: string };
  };
  'related-observations': { 'observation-uuid': string }[];
}

export interface Resource {
  uuid: string;
  title: string;
  description?: string;
  props?: Prop[];
  base64?: { filename: string; 'media-type': string; value: string };
}

export type ControlSelection = { 'include-all': Record<string, never> } | { 'include-controls': { 'control-id': string }[] };

export interface AssessmentResult {
  uuid: string;
  title: string;
  description: string;
  props?: Prop[];
  start: string;
  end?: string;
  'local-definitions': {
    components: { uuid: string; type: 'software'; title: string; description: string; status: { state: 'operational' } }[];
    'inventory-items': { uuid: string; description: string; props: Prop[] }[];
  };
  'reviewed-controls': { 'control-selections': ControlSelection[] };
  observations?: Observation[];
  findings?: Finding[];
}

export interface AssessmentResultsDocument {
  'assessment-results': {
    uuid: string;
    metadata: { title: string; 'last-modified': string; version: string; 'oscal-version': string; props?: Prop[] };
    'import-ap': { href: string; remarks?: string };
    results: AssessmentResult[];
    'back-matter': { resources: Resource[] };
  };
}
