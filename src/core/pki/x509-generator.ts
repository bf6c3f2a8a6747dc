/**
 * @peculiar/x509, for generating certificates. It is some sixty modules (asn1 schemas, tsyringe) that a start
 * without a certificate to generate never needs, so it loads on first use. tsyringe, which it resolves its providers
 * through, needs the reflect polyfill loaded first.
 */
export async function loadX509(): Promise<typeof import('@peculiar/x509')> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}
