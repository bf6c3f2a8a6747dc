/**
 * Topics are dotted names ('overlay.node.updated'). A subscription names one topic exactly, a prefix with a
 * trailing wildcard ('overlay.*' matches 'overlay.node' and 'overlay.node.updated', not 'overlay'), or '*'.
 */
const TOPIC = /^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/;
const TOPIC_MAX = 200;

export function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic.length > TOPIC_MAX || !TOPIC.test(topic)) {
    throw new TypeError(`invalid event topic ${JSON.stringify(topic)}: dotted words of [A-Za-z0-9_:-], at most ${TOPIC_MAX} characters`);
  }
}

/** Validates a pattern once and returns its matcher. */
export function topicMatcher(pattern: string): (topic: string) => boolean {
  if (pattern === '*') return () => true;
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -1);
    assertTopic(prefix.slice(0, -1));
    return (topic) => topic.startsWith(prefix);
  }
  assertTopic(pattern);
  return (topic) => topic === pattern;
}
