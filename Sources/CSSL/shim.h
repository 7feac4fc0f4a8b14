#ifndef LITUV_CSSL_SHIM_H
#define LITUV_CSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/bio.h>

/// Wrappers for OpenSSL macros that Swift cannot import.
static inline long CSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long CSSL_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long CSSL_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}
static inline long CSSL_SSL_CTX_set_options(SSL_CTX *ctx, long options) {
    return SSL_CTX_set_options(ctx, options);
}
static inline long CSSL_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long CSSL_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline long CSSL_BIO_get_mem_pending(BIO *bio) {
    return BIO_ctrl_pending(bio);
}
static inline long CSSL_SSL_CTX_add_extra_chain_cert(SSL_CTX *ctx, X509 *x509) {
    return SSL_CTX_add_extra_chain_cert(ctx, x509);
}
static inline long CSSL_SSL_session_reused(const SSL *ssl) {
    return SSL_session_reused(ssl);
}
static inline const char *CSSL_SSL_get_servername(const SSL *ssl) {
    return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
}
/// Options for LitUV's server contexts: no renegotiation, no compression, fresh ECDH keys, and the server's cipher
/// order (AES-GCM first) except that a client preferring ChaCha20-Poly1305 (no AES hardware) gets it.
static inline uint64_t CSSL_SERVER_OPTIONS(void) {
    return SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_ECDH_USE
        | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA;
}
/// Modes: release idle connection buffers, allow a moved write buffer on retry.
static inline long CSSL_SERVER_MODES(void) {
    return SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE;
}
static inline long CSSL_SSL_CTX_set_options64(SSL_CTX *ctx, uint64_t options) {
    return (long)SSL_CTX_set_options(ctx, options);
}
static inline int CSSL_TLS1_2_VERSION(void) { return TLS1_2_VERSION; }
static inline int CSSL_TLS1_3_VERSION(void) { return TLS1_3_VERSION; }

#endif
