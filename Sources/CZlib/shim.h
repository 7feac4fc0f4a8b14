#ifndef LITUV_CZLIB_SHIM_H
#define LITUV_CZLIB_SHIM_H

// `next_in` and `msg` as const pointers: compressing never writes to the input.
#define ZLIB_CONST
#include <zlib.h>

/// Wrappers for zlib macros that Swift cannot import (they pass ZLIB_VERSION and sizeof(z_stream) for the caller).

/// `deflateInit2` with the deflate method (the only one zlib has). `windowBits` 15 + 16 writes a gzip wrapper.
static inline int CZlib_deflateInit2(z_streamp strm, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, strategy);
}

/// `inflateInit2` (the tests decode with it; `windowBits` 15 + 16 reads a gzip wrapper only).
static inline int CZlib_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

#endif
