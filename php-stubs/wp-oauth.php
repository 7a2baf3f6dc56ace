<?php
/**
 * Stubs for the wp_oauth PHP extension (native crypto core of WP OAuth, Rust + ring).
 *
 * Load with `extension=/path/to/libwp_oauth.so`; check with `php --ri wp_oauth`.
 * All strings are byte strings; JSON is UTF-8. Every failure throws
 * {@see \WpOAuth\Exception} (or its subclass {@see \WpOAuth\TokenException} for token
 * validation failures) with a stable integer code from the class constants below. Messages
 * name the reason and never contain key material or token contents. Wrong argument types
 * raise PHP's own \TypeError.
 *
 * tests/ext/StubsTest.php fails when this file and the loaded extension disagree.
 *
 * @package wp-oauth
 */

namespace WpOAuth {

    /**
     * Every failure of the extension. Codes 1–99 are the constants below; token validation
     * failures are thrown as {@see TokenException} with codes 100–199.
     */
    class Exception extends \Exception
    {
        /** An argument is out of its documented range or shape (e.g. `$bytes` outside 16..256, an unknown decode option, NAN/INF/objects in arrays, nesting deeper than 32). */
        public const INVALID_ARGUMENT = 1;
        /** The operating system CSPRNG failed. */
        public const RANDOM_FAILURE = 2;
        /** The PKCE code_verifier is not 43–128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1). */
        public const INVALID_CODE_VERIFIER = 3;
        /** A PKCE method other than S256 was requested (`plain` is refused). */
        public const UNSUPPORTED_CHALLENGE_METHOD = 4;
        /** The secret hash is not a PHC string of a supported scheme. */
        public const MALFORMED_HASH = 5;
        /** The secret hash has parameters outside sane bounds (e.g. more than 2 000 000 PBKDF2 iterations). */
        public const HASH_PARAMETERS_OUT_OF_BOUNDS = 6;
        /** A JWK or PEM is malformed, inconsistent (private and public parts differ), lacks `alg` where required, or is of an unsupported type. */
        public const INVALID_KEY = 7;
        /** The algorithm is not one of HS256, ES256, EdDSA, RS256, PS256, or does not fit the key. */
        public const UNSUPPORTED_ALGORITHM = 8;
        /** A JSON argument (JWK, JWKS) is not valid JSON of the expected shape. */
        public const INVALID_JSON = 9;
        /** The crypto backend failed to sign. */
        public const SIGNING_FAILED = 10;
    }

    /**
     * A token failed verification or validation in {@see \wp_oauth_jwt_decode()}, or a DPoP
     * proof failed in {@see \wp_oauth_dpop_verify()}. DPoP proofs raise 101–104, 108–111
     * (see below) and the DPOP_* codes 117–130. Per RFC 9449 §7.1 and §9, DPOP_NONCE_MISSING
     * and DPOP_NONCE_MISMATCH call for `use_dpop_nonce` with a fresh `DPoP-Nonce`; every
     * other code means `invalid_dpop_proof`.
     */
    class TokenException extends Exception
    {
        /** Not three dot-separated segments (RFC 7515 §7.1). */
        public const MALFORMED = 101;
        /** Longer than the `max_length` option; rejected before decoding. */
        public const TOO_LONG = 102;
        /** A segment is not canonical unpadded base64url (`=` padding, non-zero trailing bits, other alphabets) (RFC 7515 §2). */
        public const INVALID_BASE64 = 103;
        /** Header or claims are not a UTF-8 JSON object, or nest deeper than 32 levels. */
        public const INVALID_TOKEN_JSON = 104;
        /** Header `alg` is `none`, missing, or differs from the key's `alg` (RFC 8725 §3.1; covers HS256/public-key confusion). */
        public const ALGORITHM_MISMATCH = 105;
        /** No key has the token's `kid`. */
        public const UNKNOWN_KID = 106;
        /** The token has no `kid` and more than one key was given. */
        public const MISSING_KID = 107;
        /** The header has `crit` (RFC 7515 §4.1.11): no extension is understood. */
        public const UNSUPPORTED_CRIT = 108;
        /** The signature does not verify. */
        public const INVALID_SIGNATURE = 109;
        /** `exp`, `nbf` or `iat` is not a NumericDate (RFC 7519 §2): a string, null, negative, or beyond year 9999. In a DPoP proof: `iat` not an integer, `jti` not a 1–256 byte string, `htm`/`htu` not non-empty strings, or `nonce`/`ath`/`content_digest` not strings. */
        public const INVALID_CLAIM = 110;
        /** A claim named in the `required` option is absent; in a DPoP proof, one of `jti`, `htm`, `htu`, `iat` (RFC 9449 §4.2). */
        public const MISSING_CLAIM = 111;
        /** `exp` has passed, beyond the leeway (RFC 7519 §4.1.4). */
        public const EXPIRED = 112;
        /** `nbf` is in the future, beyond the leeway (RFC 7519 §4.1.5). */
        public const NOT_YET_VALID = 113;
        /** `iss` is not the expected issuer (RFC 7519 §4.1.1). */
        public const INVALID_ISSUER = 114;
        /** `aud` does not equal or contain the expected audience (RFC 7519 §4.1.3). */
        public const INVALID_AUDIENCE = 115;
        /** Header `typ` is not the expected type (RFC 9068 §4; `at+jwt` also matches `application/at+jwt`, case-insensitively). */
        public const INVALID_TYPE = 116;
        /** DPoP proof: header `typ` is not exactly `dpop+jwt` (no `application/` prefix, case-sensitive) (RFC 9449 §4.2, §4.3 step 4). */
        public const DPOP_INVALID_TYP = 117;
        /** DPoP proof: `alg` is missing, `none`, symmetric (HS*), unsupported, or not in the `algs` option (RFC 9449 §4.3 step 5). */
        public const DPOP_INVALID_ALG = 118;
        /** DPoP proof: header `jwk` is missing or not an object, malformed, of an unsupported type or curve, an RSA key under 2048 bits, or does not fit `alg` (RFC 9449 §4.2). */
        public const DPOP_INVALID_JWK = 119;
        /** DPoP proof: `jwk` has a private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`) or is an `oct` key (RFC 9449 §4.3 step 7). */
        public const DPOP_PRIVATE_KEY = 120;
        /** DPoP proof: `htm` differs from the `htm` option (exact, case-sensitive) (RFC 9449 §4.3 step 8). */
        public const DPOP_HTM_MISMATCH = 121;
        /** DPoP proof: `htu` differs from the `htu` option after normalization, or is not an http(s) URI (RFC 9449 §4.3 step 9). */
        public const DPOP_HTU_MISMATCH = 122;
        /** DPoP proof: `iat` is more than `iat_past` seconds before now (RFC 9449 §4.3 step 11, §11.1). */
        public const DPOP_STALE_IAT = 123;
        /** DPoP proof: `iat` is more than `iat_future` seconds after now (RFC 9449 §4.3 step 11). */
        public const DPOP_FUTURE_IAT = 124;
        /** DPoP proof: the `access_token` option was given but the proof has no `ath` (RFC 9449 §4.2, §7). */
        public const DPOP_ATH_MISSING = 125;
        /** DPoP proof: `ath` is not base64url(SHA-256(access token)) (RFC 9449 §4.3 step 12). */
        public const DPOP_ATH_MISMATCH = 126;
        /** DPoP proof: the `nonce` option was given but the proof has no `nonce` (RFC 9449 §8, §9: answer `use_dpop_nonce`). */
        public const DPOP_NONCE_MISSING = 127;
        /** DPoP proof: `nonce` is none of the expected nonces (RFC 9449 §4.3 step 10: answer `use_dpop_nonce`). */
        public const DPOP_NONCE_MISMATCH = 128;
        /** DPoP proof: the key's RFC 7638 thumbprint differs from the `jkt` option, i.e. the token's `cnf.jkt` (RFC 9449 §6.1, §4.3 step 12). */
        public const DPOP_JKT_MISMATCH = 129;
        /** DPoP proof: `content_digest` is not `sha-256=:<base64 SHA-256 of the body>:` (MCP DPoP profile draft; RFC 9530 §2 syntax). */
        public const DPOP_CONTENT_DIGEST_MISMATCH = 130;
    }
}

namespace {

    /**
     * The extension's version (semver), e.g. "0.1.0".
     */
    function wp_oauth_version(): string {}

    /**
     * A random opaque token: `$bytes` bytes from the OS CSPRNG, base64url without padding
     * (RFC 4648 §5). 32 bytes give 43 characters and 256 bits of entropy.
     *
     * @param int $bytes Number of random bytes, 16..256.
     * @throws \WpOAuth\Exception INVALID_ARGUMENT outside 16..256; RANDOM_FAILURE.
     */
    function wp_oauth_random_token(int $bytes = 32): string {}

    /**
     * Lookup index for an opaque high-entropy token (authorization code, refresh token,
     * registration access token): base64url (no padding) of SHA-256 of the bytes, 43 chars.
     *
     * Deterministic and unsalted on purpose, so a stored token can be found by an indexed
     * column. That is safe only because those tokens carry at least 128 bits of entropy
     * (use {@see wp_oauth_random_token()}); never use it for passwords or client secrets
     * chosen by people (use {@see wp_oauth_secret_hash()}).
     */
    function wp_oauth_token_hash(string $token): string {}

    /**
     * PKCE S256 code challenge: BASE64URL(SHA256(code_verifier)) (RFC 7636 §4.2).
     *
     * @param string $code_verifier 43–128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1).
     * @throws \WpOAuth\Exception INVALID_CODE_VERIFIER.
     */
    function wp_oauth_pkce_challenge(string $code_verifier): string {}

    /**
     * Verifies a PKCE code_verifier against the stored challenge (RFC 7636 §4.6), in
     * constant time. Returns false on mismatch (including a malformed challenge).
     *
     * @param string $method Only "S256" is supported; "plain" is refused.
     * @throws \WpOAuth\Exception INVALID_CODE_VERIFIER for a malformed verifier (RFC 7636 §4.1);
     *         UNSUPPORTED_CHALLENGE_METHOD for any method but S256.
     */
    function wp_oauth_pkce_verify(string $code_verifier, string $code_challenge, string $method = 'S256'): bool {}

    /**
     * Hashes a client secret into a PHC string ($id$params$salt$hash, salt and hash in
     * standard base64 without padding). The scheme is chosen from the secret's shape:
     *
     * - `$wpo-hmac-sha256$v=1$<16-byte salt>$<32-byte tag>` — secrets of at least 32
     *   characters, all [A-Za-z0-9_-] (what {@see wp_oauth_random_token()} produces with
     *   24+ bytes). The tag is HMAC-SHA-256 keyed by the salt over the secret. Such secrets
     *   have ≥ 192 bits of entropy, so stretching adds nothing; verification takes ~1 µs.
     * - `$pbkdf2-sha256$i=600000$<16-byte salt>$<32-byte key>` — any other input, possibly
     *   low-entropy: PBKDF2-HMAC-SHA-256 (RFC 8018 §5.2), 600 000 iterations (OWASP 2023).
     *
     * @throws \WpOAuth\Exception RANDOM_FAILURE.
     */
    function wp_oauth_secret_hash(string $secret): string {}

    /**
     * Verifies a secret against a hash from {@see wp_oauth_secret_hash()}, in constant time.
     *
     * @throws \WpOAuth\Exception MALFORMED_HASH for a string of no supported scheme;
     *         HASH_PARAMETERS_OUT_OF_BOUNDS for e.g. more than 2 000 000 iterations, a salt
     *         outside 4..64 bytes or a hash of the wrong length.
     */
    function wp_oauth_secret_verify(string $secret, string $hash): bool {}

    /**
     * Whether a stored hash should be replaced after the next successful verification
     * (PBKDF2 with fewer than 600 000 iterations, a short salt or a non-32-byte output).
     *
     * @throws \WpOAuth\Exception MALFORMED_HASH; HASH_PARAMETERS_OUT_OF_BOUNDS.
     */
    function wp_oauth_secret_needs_rehash(string $hash): bool {}

    /**
     * Generates a signing key as a private JWK (JSON): `kty`, `crv`, `x`, (`y`), `d`,
     * `alg`, `use: "sig"`, and `kid` = its RFC 7638 SHA-256 thumbprint.
     * ES256 → EC P-256 (RFC 7518 §6.2); EdDSA → OKP Ed25519 (RFC 8037 §2).
     * RSA keys cannot be generated (ring cannot); import them with {@see wp_oauth_key_import()}.
     * The result contains private key material: store it as a secret.
     *
     * @param string $alg "ES256" or "EdDSA".
     * @throws \WpOAuth\Exception UNSUPPORTED_ALGORITHM; RANDOM_FAILURE.
     */
    function wp_oauth_key_generate(string $alg = 'ES256'): string {}

    /**
     * Imports a PEM key (RFC 7468) as a JWK with `alg`, `use` and `kid` (RFC 7638
     * thumbprint): "PRIVATE KEY" (PKCS#8, RFC 5208) gives a private JWK, "PUBLIC KEY"
     * (SPKI, RFC 5280) a public JWK, "RSA PRIVATE KEY" (PKCS#1) a private RSA JWK.
     * Key types: RSA 2048–8192 bits (RS256, PS256), EC P-256 (ES256), Ed25519 (EdDSA).
     *
     * @param string $alg "RS256", "PS256", "ES256" or "EdDSA"; must fit the key.
     * @throws \WpOAuth\Exception INVALID_KEY; UNSUPPORTED_ALGORITHM (HS256, or a mismatch).
     */
    function wp_oauth_key_import(string $pem, string $alg): string {}

    /**
     * The public JWK of a JWK (JSON): `kty`, `crv`, `x`, `y` / `n`, `e`, `alg`, `use`,
     * `kid` (the RFC 7638 thumbprint when missing). No private members (RFC 7517 §4).
     *
     * @throws \WpOAuth\Exception INVALID_JSON; INVALID_KEY (also for `oct` keys, which have no public form).
     */
    function wp_oauth_key_public(string $jwk): string {}

    /**
     * RFC 7638 §3 JWK thumbprint with SHA-256, base64url without padding (43 chars).
     *
     * @throws \WpOAuth\Exception INVALID_JSON; INVALID_KEY.
     */
    function wp_oauth_jwk_thumbprint(string $jwk): string {}

    /**
     * A JWKS document `{"keys":[...]}` (RFC 7517 §5) with public members only, for the
     * jwks_uri. Accepts a list whose entries are JWK JSON strings, JWK arrays or JWKS
     * (strings or arrays), or a JWKS array. Private members are always stripped; symmetric
     * (`oct`) keys are left out entirely.
     *
     * @param array<int|string, string|array> $jwks
     * @throws \WpOAuth\Exception INVALID_JSON; INVALID_KEY; INVALID_ARGUMENT.
     */
    function wp_oauth_jwks(array $jwks): string {}

    /**
     * Signs claims as a JWS compact serialization (RFC 7515 §7.1, RFC 7519).
     * The header is `{"alg": <the key's alg>, ...$header, "kid": <the key's kid or RFC 7638
     * thumbprint>}`; `$header` may add e.g. `typ` ("at+jwt" for RFC 9068 access tokens)
     * or `cty` but cannot set `alg`, `kid` or `crit`.
     * PHP lists become JSON arrays, other arrays JSON objects (claims keep their order);
     * floats must be finite; strings UTF-8; no objects or resources; depth ≤ 32.
     * Parsed keys are cached per worker, keyed by the JWK string.
     *
     * @param array<string, mixed> $claims RFC 7519 §4 claims; NumericDates in Unix seconds.
     * @param string $jwk A private JWK with `alg` (HS256, ES256, EdDSA, RS256, PS256).
     * @param array<string, mixed>|null $header Extra header members.
     * @throws \WpOAuth\Exception INVALID_ARGUMENT; INVALID_JSON; INVALID_KEY; UNSUPPORTED_ALGORITHM; SIGNING_FAILED.
     */
    function wp_oauth_jwt_encode(array $claims, string $jwk, ?array $header = null): string {}

    /**
     * Verifies and validates a JWT and returns its claims (JSON objects as associative arrays).
     *
     * `$keys` is a JWK or a JWKS (public or private; `oct` included). Every key needs `alg`:
     * the algorithm comes from the key, never from the token (RFC 8725 §3.1). The key is
     * chosen by the token's `kid` (a key without `kid` is matched by its RFC 7638
     * thumbprint); a token without `kid` is accepted only when exactly one key is given.
     *
     * Options:
     * - `iss` (string): exact issuer.
     * - `aud` (string): the token's `aud` must equal it or be an array containing it.
     * - `typ` (string): header `typ`, case-insensitive, "application/" prefix optional
     *   (RFC 9068 §4: "at+jwt" accepts "application/at+jwt").
     * - `leeway` (int seconds, 0..86400, default 60) for `exp` and `nbf`.
     * - `required` (list of claim names, default ['exp']).
     * - `now` (int|float Unix seconds; default the system clock), e.g. to test fixed vectors.
     * - `max_length` (int bytes, 1..1048576, default 8192): longer tokens are rejected before decoding.
     * NumericDates (RFC 7519 §2) may be non-integer (`exp: 1700000000.5`).
     *
     * Verified tokens are cached per worker (up to 1024 entries / 4 MiB), keyed by SHA-256 of
     * (key set, options, token); a hit re-checks `exp`/`nbf` against now ± leeway, so a
     * cached token never outlives its `exp`. Key sets are parsed once per worker per JWKS string.
     *
     * @param array<string, mixed>|null $options
     * @return array<string, mixed>
     * @throws \WpOAuth\TokenException any of its codes.
     * @throws \WpOAuth\Exception INVALID_ARGUMENT (bad option); INVALID_JSON, INVALID_KEY,
     *         UNSUPPORTED_ALGORITHM (bad `$keys`).
     */
    function wp_oauth_jwt_decode(string $token, string $keys, ?array $options = null): array {}

    /**
     * Verifies a DPoP proof JWT (RFC 9449 §4.2, §4.3) against the request it came with and
     * returns what the caller stores or compares. The proof is untrusted input: it is
     * refused above `max_length` bytes before any decoding; every segment must be canonical
     * unpadded base64url (RFC 7515 §2); header and claims must be JSON objects without
     * duplicate member names, nested no deeper than 32; the header must have
     * `typ: "dpop+jwt"`, an accepted `alg`, no `crit`, and a public `jwk` that fits `alg`;
     * the signature must verify with that `jwk`; the claims `jti` (string, 1–256 bytes),
     * `htm`, `htu` (strings) and `iat` (integer Unix seconds) must be present.
     *
     * Not checked here, because it needs state shared by all PHP workers: that `jti` was not
     * seen before (keep each `jti` at least until `iat + iat_past`, RFC 9449 §11.1), and
     * issuing/rotating server nonces (RFC 9449 §8, §9). Proofs are never cached.
     *
     * `$expect` (unknown keys, wrong types and null values are refused):
     * - `htm` (string, required): the request method, compared exactly (RFC 9449 §4.3 step 8).
     * - `htu` (string, required): the request URI (an absolute http/https URI). Both it and
     *   the proof's `htu` drop query and fragment and are normalized (RFC 3986 §6.2.2: case of
     *   scheme and host, percent-encodings, dot segments; §6.2.3: default port, empty path)
     *   before an exact comparison (RFC 9449 §4.3 step 9). URIs with user information are refused.
     * - `now` (int Unix seconds; default the system clock).
     * - `iat_past` (int seconds, 0..86400, default 60): how far `iat` may lie before `now`.
     * - `iat_future` (int seconds, 0..86400, default 5): how far `iat` may lie after `now`
     *   (RFC 9449 §4.3 step 11, §11.1; the MCP DPoP profile asks for 300 and 300).
     * - `access_token` (string): the access token of the request; the proof must then carry
     *   `ath` = base64url(SHA-256(access token)) (RFC 9449 §4.2, §7.1), compared in constant time.
     * - `nonce` (string, or a list of 1–16 strings; each 1–1024 NQCHAR, RFC 9449 §8.1): the
     *   proof's `nonce` must equal one of them, compared in constant time (RFC 9449 §4.3 step 10).
     * - `jkt` (string, 43 chars): the token's `cnf.jkt`; the proof key's RFC 7638 SHA-256
     *   thumbprint must equal it, compared in constant time (RFC 9449 §6.1, §7.1).
     * - `algs` (list of 1–8 names; default ['ES256', 'EdDSA', 'PS256', 'RS256']): accepted
     *   `alg` values, a subset of the default (RSA keys need at least 2048 bits).
     * - `max_length` (int bytes, 1..65536, default 8192).
     * - `body` (string, raw request body bytes): when the proof carries a `content_digest`
     *   claim (an earlier draft of the MCP DPoP profile), it must equal
     *   `sha-256=:<standard base64 of SHA-256(body)>:`; a proof without it is accepted.
     *
     * @param string $proof The `DPoP` request header's value (RFC 9449 §4.1).
     * @param array{htm: string, htu: string, now?: int, iat_past?: int, iat_future?: int, access_token?: string, nonce?: string|list<string>, jkt?: string, algs?: list<string>, max_length?: int, body?: string} $expect
     * @return array{jkt: string, jti: string, iat: int, htm: string, htu: string, alg: string, nonce: ?string, ath: ?string, jwk: array<string, string>, claims: array<string, mixed>}
     *         `jkt`: RFC 7638 SHA-256 thumbprint of the proof key, base64url (43 chars), the
     *         value for `cnf.jkt` (RFC 9449 §6.1); `iat` in Unix seconds; `htm`/`htu` as sent;
     *         `jwk`: the key's RFC 7638 required members (`crv`/`kty`/`x`/`y`, `crv`/`kty`/`x`
     *         or `e`/`kty`/`n`); `claims`: every claim of the proof.
     * @throws \WpOAuth\TokenException TOO_LONG, MALFORMED, INVALID_BASE64, INVALID_TOKEN_JSON,
     *         UNSUPPORTED_CRIT, INVALID_SIGNATURE, MISSING_CLAIM, INVALID_CLAIM, DPOP_* (117–130).
     * @throws \WpOAuth\Exception INVALID_ARGUMENT (bad `$expect`); UNSUPPORTED_ALGORITHM (an
     *         `algs` entry that is not ES256, EdDSA, PS256 or RS256).
     */
    function wp_oauth_dpop_verify(string $proof, array $expect): array {}

    /**
     * Counters of this worker's caches: `hits` and `misses` of the verified-token cache,
     * `entries` (cached tokens), `keysets` (parsed key sets).
     *
     * @return array{hits: int, misses: int, entries: int, keysets: int}
     */
    function wp_oauth_cache_stats(): array {}

    /**
     * Empties this worker's verified-token and key-set caches and resets the counters.
     */
    function wp_oauth_cache_clear(): void {}
}
