#ifndef LITUV_CPNG_SHIM_H
#define LITUV_CPNG_SHIM_H

#include <png.h>

/// Wrappers for what Swift cannot import from libpng's simplified API (function-like macros, a `char[64]` member).

/// `PNG_IMAGE_SIZE`: the bytes `png_image_finish_read` writes for `image` at the minimum row stride. The product
/// is computed in 64 bits, so it cannot overflow for any size libpng accepts.
static inline unsigned long long CPNG_image_size(const png_image *image) {
    return (unsigned long long)PNG_IMAGE_PIXEL_COMPONENT_SIZE(image->format)
        * (unsigned long long)PNG_IMAGE_PIXEL_CHANNELS(image->format)
        * (unsigned long long)image->width * (unsigned long long)image->height;
}

/// libpng's last error or warning message for `image` (NUL-terminated, at most 63 characters).
static inline const char *CPNG_image_message(const png_image *image) {
    return image->message;
}

#endif
