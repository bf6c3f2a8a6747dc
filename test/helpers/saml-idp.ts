// @peculiar/x509 resolves its providers through tsyringe, which needs the reflect polyfill loaded first.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { SignedXml } from 'xml-crypto';

const crypto = webcrypto as unknown as Crypto;
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

export interface AssertionOptions {
  email: string;
  /** The SP entity id the assertion is for. */
  audience: string;
  /** The ACS URL (Destination and Recipient). */
  acs: string;
  /** Defaults to the IdP's own issuer. */
  issuer?: string;
  /** Validity from now (negative: already expired). */
  validForMs?: number;
  /** Sign with another key than the IdP's (a forger). */
  signWith?: { keyPem: string; certPem: string };
  /** Sign, then change the email inside the signed assertion. */
  tamperEmail?: string;
  unsigned?: boolean;
}

export interface TestSamlIdp {
  entityId: string;
  certPem: string;
  keyPem: string;
  /** A base64 SAMLResponse (HTTP-POST binding) with one assertion signed as an IdP signs it (RSA-SHA256, exc-c14n). */
  response(opts: AssertionOptions): string;
}

/** A self-signed RSA signing certificate, as SAML IdPs publish in their metadata. */
export async function signingCertificate(name: string): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await crypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: '01' + randomBytes(8).toString('hex'), name: `CN=${name}`, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), keys, signingAlgorithm: RSA },
    crypto,
  );
  const keyDer = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem: cert.toString('pem') + '\n', keyPem: x509.PemConverter.encode(keyDer, 'PRIVATE KEY') + '\n' };
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A SAML 2.0 identity provider reduced to what it sends: signed responses, built and signed with xml-crypto. */
export async function startTestSamlIdp(entityId = 'https://idp.example.test/saml'): Promise<TestSamlIdp> {
  const own = await signingCertificate('Test SAML IdP');
  return {
    entityId,
    ...own,
    response(opts) {
      const now = Date.now();
      const iso = (ms: number) => new Date(ms).toISOString();
      const until = iso(now + (opts.validForMs ?? 5 * 60_000));
      const issuer = xmlEscape(opts.issuer ?? entityId);
      const email = xmlEscape(opts.email);
      const assertion =
        `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${iso(now)}">` +
        `<saml:Issuer>${issuer}</saml:Issuer>` +
        `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${email}</saml:NameID>` +
        `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${xmlEscape(opts.acs)}"/></saml:SubjectConfirmation></saml:Subject>` +
        `<saml:Conditions NotBefore="${iso(now - 30_000)}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${xmlEscape(opts.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
        `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="_s${randomBytes(8).toString('hex')}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
        `<saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>${email}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>` +
        `</saml:Assertion>`;
      let xml =
        `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${iso(now)}" Destination="${xmlEscape(opts.acs)}">` +
        `<saml:Issuer>${issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${assertion}</samlp:Response>`;
      if (!opts.unsigned) {
        const signer = opts.signWith ?? own;
        const sig = new SignedXml({
          privateKey: signer.keyPem,
          publicCert: signer.certPem,
          signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
          canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
        });
        sig.addReference({
          xpath: "//*[local-name(.)='Assertion']",
          transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
          digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
        });
        sig.computeSignature(xml, { location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' } });
        xml = sig.getSignedXml();
      }
      if (opts.tamperEmail) xml = xml.split(email).join(xmlEscape(opts.tamperEmail));
      return Buffer.from(xml).toString('base64');
    },
  };
}
