/** The sanitized view of a Kubernetes integration the API returns (the token itself never leaves the server). */
export interface IntegrationView {
  id: string;
  created_at: string;
  name: string;
  kind: 'kubernetes';
  api_server_url: string;
  ca_cert_pem: string;
  auth_type: 'service_account_token';
  token_configured: boolean;
}

export interface IntegrationInput {
  name: string;
  kind: 'kubernetes';
  api_server_url: string;
  ca_cert_pem: string;
  service_account_token: string;
}

/** What a client needs to call the integration's API server. */
export interface KubernetesCredentials {
  name: string;
  api_server_url: string;
  ca_cert_pem: string;
  token: string;
}
