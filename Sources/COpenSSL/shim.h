#ifndef VISAG_COPENSSL_SHIM_H
#define VISAG_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/err.h>
#endif
