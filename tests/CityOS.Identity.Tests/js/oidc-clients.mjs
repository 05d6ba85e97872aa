// Drives the CityOS identity provider with real third-party clients: openid-client (authorization
// code + PKCE through the HTML sign-in form, refresh, userinfo, client credentials, introspection,
// revocation) and jose (access token signatures checked against the published JWKS).
// Usage: node oidc-clients.mjs '<json: issuer, publicClientId, redirectUri, username, password, clientId, clientSecret>'
import * as client from 'openid-client';
import * as jose from 'jose';

const input = JSON.parse(process.argv[2]);
const execute = [client.allowInsecureRequests]; // the test provider listens on http://127.0.0.1
const result = {};

class CookieJar {
  cookies = new Map();
  store(response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
  }
  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

async function step(jar, url, init = {}) {
  const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie: jar.header() } });
  jar.store(response);
  return response;
}

function hidden(html, name) {
  const match = html.match(new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`));
  if (!match) throw new Error(`no hidden field ${name} in the sign-in page`);
  return match[1].replaceAll('&amp;', '&').replaceAll('&#x2B;', '+').replaceAll('&#x3D;', '=').replaceAll('&quot;', '"');
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

// Authorization code + PKCE, public client.
const config = await client.discovery(new URL(input.issuer), input.publicClientId, undefined, client.None(), { execute });
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const authorizationUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: input.redirectUri,
  scope: 'openid profile email offline_access',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce,
  ui_locales: 'en',
});
const jar = new CookieJar();
let response = await step(jar, authorizationUrl);
expect(response.status === 302, `authorize answered ${response.status}, expected a redirect to the sign-in page`);
const signInUrl = new URL(response.headers.get('location'), input.issuer);
response = await step(jar, signInUrl);
const page = await response.text();
expect(response.status === 200 && page.includes('<form'), `sign-in page answered ${response.status}`);
result.signInPageLanguage = page.match(/<html lang="([a-z]+)"/)?.[1];
const form = new URLSearchParams({
  username: input.username,
  password: input.password,
  csrf: hidden(page, 'csrf'),
  return_to: hidden(page, 'return_to'),
});
response = await step(jar, new URL('/identity/v1/login', input.issuer), { method: 'POST', body: form });
expect(response.status === 302, `sign-in answered ${response.status}: ${await response.text()}`);
response = await step(jar, new URL(response.headers.get('location'), input.issuer));
expect(response.status === 302, `authorize after sign-in answered ${response.status}`);
const callback = new URL(response.headers.get('location'));
expect(callback.href.startsWith(input.redirectUri), `redirected to ${callback.href}`);

const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
const verified = await jose.jwtVerify(tokens.access_token, jwks, { issuer: input.issuer, audience: 'cityos', typ: 'at+jwt' });
const idClaims = tokens.claims();
result.authorizationCode = {
  accessTokenAlg: verified.protectedHeader.alg,
  sub: verified.payload.sub,
  clientId: verified.payload.client_id,
  idTokenSub: idClaims.sub,
  idTokenName: idClaims.name,
  amr: verified.payload.amr,
  tenants: verified.payload.tenants,
  hasRefreshToken: typeof tokens.refresh_token === 'string',
};
const userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
result.userinfo = { sub: userinfo.sub, preferred_username: userinfo.preferred_username, email: userinfo.email };
// The tokens on the NGSI-LD API of the same cityos (security on), through openid-client's protected-resource call.
const broker = async (configuration, token, path, method, body) => {
  const headers = new Headers({ 'ngsild-tenant': 'city-a' });
  if (body) headers.set('content-type', 'application/json');
  try {
    const response = await client.fetchProtectedResource(configuration, token, new URL(path, input.issuer), method, body ? JSON.stringify(body) : undefined, headers);
    return response.status;
  } catch (error) {
    return error.response?.status ?? error.cause?.status ?? `${error.name}: ${error.message}`;
  }
};
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
const residentBeforeReuse = await broker(config, refreshed.access_token, '/ngsi-ld/v1/entities/urn:ngsi-ld:Bus:any', 'GET');
await jose.jwtVerify(refreshed.access_token, jwks, { issuer: input.issuer, audience: 'cityos' });
result.refresh = { rotated: refreshed.refresh_token !== tokens.refresh_token };
try {
  await client.refreshTokenGrant(config, tokens.refresh_token);
  result.refresh.reuseRefused = false;
} catch (error) {
  result.refresh.reuseRefused = error.error === 'invalid_grant';
}

// Client credentials, confidential client (client_secret_post), then introspection and revocation.
const service = await client.discovery(new URL(input.issuer), input.clientId, input.clientSecret, undefined, { execute });
const serviceTokens = await client.clientCredentialsGrant(service, { scope: 'ngsi-ld' });
const serviceVerified = await jose.jwtVerify(serviceTokens.access_token, jwks, { issuer: input.issuer, audience: 'cityos', typ: 'at+jwt' });
const introspected = await client.tokenIntrospection(service, serviceTokens.access_token);

const bus = { id: `urn:ngsi-ld:Bus:openid-client-${Date.now()}`, type: 'Bus', route: { type: 'Property', value: '7' } };
result.broker = {
  serviceCreates: await broker(service, serviceTokens.access_token, '/ngsi-ld/v1/entities', 'POST', bus),
  serviceReads: await broker(service, serviceTokens.access_token, `/ngsi-ld/v1/entities/${bus.id}`, 'GET'),
  residentReads: residentBeforeReuse,
  residentReadsAfterRefreshReuse: await broker(config, refreshed.access_token, `/ngsi-ld/v1/entities/${bus.id}`, 'GET'),
  anonymousReads: (await fetch(new URL(`/ngsi-ld/v1/entities/${bus.id}`, input.issuer), { headers: { 'ngsild-tenant': 'city-a' } })).status,
};

await client.tokenRevocation(service, serviceTokens.access_token);
const afterRevocation = await client.tokenIntrospection(service, serviceTokens.access_token);
result.broker.serviceReadsAfterRevocation = await broker(service, serviceTokens.access_token, `/ngsi-ld/v1/entities/${bus.id}`, 'GET');
result.clientCredentials = {
  accessTokenAlg: serviceVerified.protectedHeader.alg,
  sub: serviceVerified.payload.sub,
  scope: serviceVerified.payload.scope,
  active: introspected.active,
  activeAfterRevocation: afterRevocation.active,
};

process.stdout.write(JSON.stringify(result));
