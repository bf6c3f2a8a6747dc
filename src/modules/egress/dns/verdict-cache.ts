/**
 * The verdict of the running DNS policy per client address and question, so a client asking the same name again
 * costs a map lookup instead of a CIDR walk and the rules' regexps. Kept per policy object: a new generation is a
 * new object and starts an empty map. Keyed by the question's bytes as sent (letter case included: a rule may be
 * case-sensitive); bounded, and emptied when full (a client walking random names gains nothing over a miss).
 */
import type { DnsPolicy } from '../compiler/compiled.types.js';
import { normalName } from './dns-messages.js';
import { dnsVerdict, type DnsVerdict } from './dns-verdict.js';
import { nameText } from './dns-wire.js';

const MAX_ENTRIES = 10_000;

export interface QuestionVerdict {
  verdict: DnsVerdict;
  /** The queried name, lower-cased, no trailing dot. */
  name: string;
}

export function createVerdictCache(max = MAX_ENTRIES) {
  let policy: DnsPolicy | null | undefined;
  let entries = new Map<string, QuestionVerdict>();
  return {
    /** `question`: the uncompressed question section; `raw`: the same bytes as a latin1 string (the key). */
    get(current: DnsPolicy | null, clientIp: string, question: Buffer, raw: string): QuestionVerdict {
      if (current !== policy) {
        policy = current;
        entries = new Map();
      }
      const key = `${clientIp}\n${raw}`;
      let hit = entries.get(key);
      if (!hit) {
        if (entries.size >= max) entries.clear();
        const text = nameText(question.subarray(0, question.length - 4));
        hit = { verdict: dnsVerdict(current, clientIp, text), name: normalName(text) };
        entries.set(key, hit);
      }
      return hit;
    },
  };
}
